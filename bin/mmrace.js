#!/usr/bin/env node
// The mmrace command. Registers tsx so that mmrace itself and users' .ts models load
// with no build step, then runs the CLI. Nothing here may end in Node's stack trace:
// a module that cannot be imported (a broken install) and an exception that escapes
// the CLI each end the program with one line on stderr and exit 2, the exit code of an
// error (the stack only with MMRACE_DEBUG=1).

/** One line on stderr for a failure outside the CLI's own error handling; exit 2. */
function fail(what, e, hint) {
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n')[0].replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  try {
    process.stderr.write(`mmrace: internal error E_INTERNAL: ${what}: ${first} (${hint})\n`);
    if (process.env.MMRACE_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  } finally {
    process.exit(2);
  }
}

const BROKEN = 'the installation looks broken: run npm ci in the mmrace folder, or set MMRACE_DEBUG=1 for the stack';
const BUG = 'this is a bug in mmrace; set MMRACE_DEBUG=1 for a stack trace and report it';

process.on('uncaughtException', (e) => fail('uncaught exception', e, BUG));
process.on('unhandledRejection', (e) => fail('unhandled rejection', e, BUG));

// A reader that goes away (`mmrace check ... | head`) ends the output, not the program.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    fail('cannot write the output', e, 'stdout or stderr failed');
  });
}

let main;
try {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
} catch (e) {
  fail('cannot load mmrace', e, BROKEN);
}
process.exitCode = await main(process.argv.slice(2));
