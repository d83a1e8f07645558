#!/usr/bin/env node
// The mmrace command. Registers tsx so that mmrace itself and users' .ts models load
// with no build step, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
// A reader that goes away (`mmrace check ... | head`) ends the output, not the program.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
