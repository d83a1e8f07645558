#!/usr/bin/env node
// The mmrace command: runs the compiled CLI (dist/, built by `npm run build`, which npm
// runs itself on `npm ci` and `npm pack`). Nothing here may end in Node's stack trace:
// a module that cannot be imported (a broken install) and an exception that escapes
// the CLI each end the program with one line on stderr and exit 2, the exit code of an
// error (the stack only with MMRACE_DEBUG=1).

// mmrace owns the exit: while the CLI runs, a model's process.exit throws E_MODEL_EXIT
// (src/model/exit.ts). The original, taken before anything else runs, ends mmrace here.
const exit = process.exit;

/** One line on stderr for a failure outside the CLI's own error handling; exit 2. */
function fail(what, e, hint) {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n')[0].replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  // One line of bounded length, as every error of mmrace (report/escape.ts capped).
  const first = line.length > 500 ? `${line.slice(0, 500)}… (${line.length} characters)` : line;
  try {
    process.stderr.write(`mmrace: internal error E_INTERNAL: ${what}: ${first} (${hint})\n`);
    if (process.env.MMRACE_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  } finally {
    exit.call(process, 2);
  }
}

const BROKEN = 'the installation looks broken: run npm ci in the mmrace folder (in a checkout, npm run build), or set MMRACE_DEBUG=1 for the stack';
const BUG = 'this is a bug in mmrace; set MMRACE_DEBUG=1 for a stack trace and report it';

// A model's process.exit from code it scheduled to run later (a timer, a promise) throws
// outside any step: still the model's E_MODEL_EXIT, never taken for a bug of mmrace.
function modelExitLater(e) {
  if (!(e instanceof Error) || e.code !== 'E_MODEL_EXIT') return false;
  const msg = e.message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 500);
  try {
    process.stderr.write(`mmrace: error E_MODEL_EXIT: ${msg}, from code the model scheduled to run later (a timer or a promise), so no step or trace can be named (${e.hint ?? ''})\n`);
  } finally {
    exit.call(process, 2);
  }
  return true;
}

process.on('uncaughtException', (e) => modelExitLater(e) || fail('uncaught exception', e, BUG));
process.on('unhandledRejection', (e) => modelExitLater(e) || fail('unhandled rejection', e, BUG));

// A reader that goes away (`mmrace check ... | head`) ends the output, not the program:
// the stream is closed, what follows is not written, and the command runs on to its verdict,
// whose exit code mmrace ends with (`set -o pipefail` sees 1 for a violation, not 0).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') return;
    fail('cannot write the output', e, 'stdout or stderr failed');
  });
}

let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (e) {
  fail('cannot load mmrace', e, BROKEN);
}
process.exitCode = await main(process.argv.slice(2));
// mmrace has ended with its verdict: a model's timer or promise that still calls
// process.exit must not replace that verdict's exit code (modelExitLater reports it).
process.exit = (code) => {
  throw Object.assign(new Error(`the model called process.exit(${code === undefined ? '' : String(code)})`), { code: 'E_MODEL_EXIT' });
};
