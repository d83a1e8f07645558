// Entry of a worker thread of the breadth-first search: serves tasks with worker.js.
// In the package (dist/) that is plain JavaScript, and the model is a bundle of plain
// JavaScript too (model/load.ts): nothing is compiled in a worker. In a checkout run
// from its sources (tests, bench/), worker.ts is loaded through tsx.
//
// CommonJS on purpose. piscina loads a worker's file with require() first; on Node
// versions where require() can load an ES module, a module with top-level await is
// refused, and a second task that arrives while the first is still importing the module
// (each worker holds two) made Node abort the whole process ("v8::Module::IsGraphAsync
// must be used on an instantiated module"). This file is required in one step, and the
// ES modules are imported once, by the promise below.
'use strict';

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ready = (async () => {
  if (existsSync(join(__dirname, 'worker.js'))) return (await import('./worker.js')).default;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('./worker.ts')).default;
})();

module.exports = async function run(task) {
  const handler = await ready;
  return handler(task);
};
