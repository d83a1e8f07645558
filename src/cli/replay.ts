/** `mmrace replay <trace.json>`: re-executes a trace and says whether it reproduces. */
import { CompiledModel } from '../model/compile.js';
import { loadModel } from '../model/load.js';
import { formatReplay } from '../report/text.js';
import { EXIT } from '../report/verdict.js';
import { replay } from '../trace/replay.js';
import { readTrace } from '../trace/trace.js';
import { out } from './output.js';

export interface ReplayFlags {
  json?: boolean;
  model?: string;
}

export async function runReplay(file: string, flags: ReplayFlags): Promise<number> {
  const trace = readTrace(file);
  const modelPath = flags.model ?? trace.model.path;
  const loaded = await loadModel(modelPath);
  const t = flags.model ? { ...trace, model: { ...trace.model, path: loaded.path } } : trace;
  const m = new CompiledModel(loaded.model, trace.params);
  const r = replay(t, m);
  const code = r.reproduced ? EXIT.violation : r.kind ? EXIT.violation : EXIT.ok;
  if (flags.json) {
    out(JSON.stringify({ ...r, verdict: r.kind ? (r.kind === 'error' ? 'error' : 'violation') : 'no-violation', trace: file }));
  } else {
    for (const line of formatReplay(r, file)) out(line);
  }
  return r.kind === 'error' ? EXIT.error : code;
}
