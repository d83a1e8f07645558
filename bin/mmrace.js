#!/usr/bin/env node
// The mmrace command. Registers tsx so that mmrace itself and users' .ts models load
// with no build step, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
