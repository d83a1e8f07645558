// Entry of a parallel-explorer worker thread: registers tsx so that the engine and the
// user's .ts model load with no build step, then serves tasks with worker.ts.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker.ts');
export default mod.default;
