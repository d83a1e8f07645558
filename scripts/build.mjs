// Builds dist/: the compiled JavaScript and type declarations of src/ (tsconfig.build.json),
// and the files of src/ that are JavaScript already. Run by `npm run build`, and by npm
// itself (`prepare`) on `npm ci`, `npm pack` and an install from git.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write('build: tsc failed\n');
  process.exit(r.status ?? 1);
}
cpSync(join(root, 'src/parallel/worker-entry.cjs'), join(dist, 'parallel/worker-entry.cjs'));
