// Times the boot of one worker thread of the breadth-first search, as the package runs it
// (dist/): from starting the pool to the model imported in the thread. The model is
// bundled first (the main thread has done that by the time a search starts threads).
//   node bench/worker-boot.mjs <model file>   prints {"seconds": …}
import { bundleModel } from '../dist/model/load.js';
import { createPool } from '../dist/parallel/pool.js';

const path = process.argv[2];
const url = await bundleModel(path);
const t0 = performance.now();
const pool = createPool(1);
const r = await pool.run({ kind: 'load', model: { path, url } });
const seconds = (performance.now() - t0) / 1000;
await pool.destroy();
if (r?.kind !== 'load') throw new Error(`the worker answered ${JSON.stringify(r)}`);
console.log(JSON.stringify({ seconds }));
