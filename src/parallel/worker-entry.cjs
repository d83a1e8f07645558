// Entry of a parallel-explorer worker thread: registers tsx so that the engine and the
// user's .ts model load with no build step, then serves tasks with worker.ts.
//
// CommonJS on purpose. piscina loads a worker's file with require() first; on Node
// versions where require() can load an ES module, a module with top-level await is
// refused, and a second task that arrives while the first is still importing the module
// (each worker holds two) made Node abort the whole process ("v8::Module::IsGraphAsync
// must be used on an instantiated module"). This file is required in one step, and the
// ES modules are imported once, by the promise below.
'use strict';

const ready = (async () => {
  const { register } = await import('tsx/esm/api');
  register();
  const mod = await import('./worker.ts');
  return mod.default;
})();

module.exports = async function run(task) {
  const handler = await ready;
  return handler(task);
};
