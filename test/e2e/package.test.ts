/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a fresh
 * `npm init -y` project (`"type": "commonjs"`), with no build step on the user's side.
 * There `npx mmrace check` runs .ts, .mts and .js models (in worker threads too), a
 * vitest test uses `mmrace/testing`, a CommonJS script requires `mmrace`, and TypeScript
 * with `tsc --init`'s defaults type-checks a model against the shipped declarations.
 *
 * The tarball is packed from this checkout's dist/ (`npm test` builds it first); npm
 * installs the dependencies from its cache, filled by `npm ci`, or from the registry.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, tmp } from './run.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** The versions of the repository's own devDependencies the project installs (from npm's cache). */
const DEV = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies as Record<string, string>;

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', npm_config_update_notifier: 'false' } });
}

/** Fails with what the command printed. */
function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The last line of stdout as JSON. */
function lastJson(r: SpawnSyncReturns<string>): Record<string, unknown> {
  const lines = r.stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

/** A lost update between two threads: a violation of `counted`. */
const LOST_UPDATE = (id: string): string => `import { defineModel, int } from 'mmrace/model';
import { spinLock, spinUnlock } from 'mmrace/kernel';

// spinLock/spinUnlock only show that mmrace/kernel loads; the counter is not under the lock.
void spinLock;
void spinUnlock;

export default defineModel({
  id: '${id}',
  state: { x: int(0, 2) },
  actors: {
    t: {
      instances: 2,
      locals: { tmp: int(0, 2) },
      steps: {
        read: (c) => { c.l.tmp = c.s.x; },
        write: (c) => { c.s.x = c.l.tmp + 1; },
      },
    },
  },
  invariants: { counted: (s, w) => w.pc('t', 0) !== 'done' || w.pc('t', 1) !== 'done' || s.x === 2 },
});
`;

/** Six counters, each stepped from 0 to 7 by its own actor: 262,144 states, levels of thousands (worker threads take them). */
const WIDE = `import { defineModel, int } from 'mmrace/model';
const counter = (i: number) => ({ steps: { s: (c: any) => { c.s['c' + i] += 1; if (c.s['c' + i] < 7) c.goto('s'); } } });
export default defineModel({
  id: 'wide',
  state: { c0: int(0, 7), c1: int(0, 7), c2: int(0, 7), c3: int(0, 7), c4: int(0, 7), c5: int(0, 7) },
  actors: { a0: counter(0), a1: counter(1), a2: counter(2), a3: counter(3), a4: counter(4), a5: counter(5) },
  invariants: { bounded: (s) => s.c0 + s.c1 + s.c2 + s.c3 + s.c4 + s.c5 <= 42 },
});
`;

let project = '';
let packed: { files: { path: string }[]; filename: string } = { files: [], filename: '' };
const dirs: string[] = [];

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: npm test builds it (npm run build)');
  const out = tmp('mmrace-pack-');
  dirs.push(out);
  // --ignore-scripts: dist/ is built already, and a rebuild would pull it from under the
  // other test files that run the CLI meanwhile.
  packed = (JSON.parse(ok(run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', out], root), 'npm pack')) as (typeof packed)[])[0]!;
  project = tmp('mmrace-user-');
  dirs.push(project);
  ok(run(NPM, ['init', '-y'], project), 'npm init -y');
  ok(
    run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(out, packed.filename), `vitest@${DEV['vitest']}`, `typescript@${DEV['typescript']}`], project),
    'npm install of the tarball',
  );
  writeFileSync(join(project, 'lost.ts'), LOST_UPDATE('lost-ts'));
  writeFileSync(join(project, 'lost.mts'), LOST_UPDATE('lost-mts'));
  writeFileSync(join(project, 'lost.mjs'), LOST_UPDATE('lost-mjs'));
  // CommonJS: require() and module.exports.
  writeFileSync(
    join(project, 'lost.cts'),
    LOST_UPDATE('lost-cts')
      .replace("import { defineModel, int } from 'mmrace/model';", "const { defineModel, int } = require('mmrace/model');")
      .replace("import { spinLock, spinUnlock } from 'mmrace/kernel';", "const { spinLock, spinUnlock } = require('mmrace/kernel');")
      .replace('export default defineModel', 'module.exports = defineModel'),
  );
  writeFileSync(join(project, 'wide.ts'), WIDE);
  writeFileSync(join(project, 'lost.json'), JSON.stringify({ model: './lost.ts', expect: { verdict: 'violation', property: 'counted' } }));
}, 600_000);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the packed package, installed in a fresh npm init -y project', () => {
  it('holds dist/ with declarations, the bin, README, LICENSE and the docs; nothing of src/, test/, bench/, .ci/', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of ['bin/mmrace.js', 'dist/index.js', 'dist/index.d.ts', 'dist/model/index.d.ts', 'dist/kernel/index.js', 'dist/testing/index.d.ts', 'dist/parallel/worker-entry.cjs', 'README.md', 'LICENSE', 'docs/writing-models.md', 'package.json']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|bench|\.ci|scripts|models|scenarios)\//.test(f))).toEqual([]);
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).type ?? 'commonjs').toBe('commonjs');
  });

  it('npx mmrace check runs a .ts model in the commonjs project and finds its violation', () => {
    const r = run(NPX, ['--no-install', 'mmrace', 'check', 'lost.ts', '--json'], project);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(lastJson(r)).toMatchObject({ verdict: 'violation', property: 'counted', model: 'lost-ts' });
  });

  it('runs .mts, .mjs and .cts models, and a scenario', () => {
    for (const [file, id] of [['lost.mts', 'lost-mts'], ['lost.mjs', 'lost-mjs'], ['lost.cts', 'lost-cts']] as const) {
      const r = run(NPX, ['--no-install', 'mmrace', 'check', file, '--json'], project);
      expect(r.status, r.stderr).toBe(1);
      expect(lastJson(r)).toMatchObject({ verdict: 'violation', property: 'counted', model: id });
    }
    const s = run(NPX, ['--no-install', 'mmrace', 'check', 'lost.json', '--json'], project);
    expect(s.status, s.stderr).toBe(1);
    expect(lastJson(s)).toMatchObject({ verdict: 'violation', expectationMet: true });
  });

  it('runs a .ts model on worker threads with the same counts as in one thread', () => {
    const args = ['--no-install', 'mmrace', 'check', 'wide.ts', '--json', '--no-por', '--no-symmetry'];
    const one = run(NPX, [...args, '--workers', '0'], project);
    const two = run(NPX, [...args, '--workers', '2'], project);
    expect(one.status, one.stderr).toBe(0);
    expect(two.status, two.stderr).toBe(0);
    const [a, b] = [lastJson(one), lastJson(two)];
    expect(a).toMatchObject({ verdict: 'safe', states: 8 ** 6 });
    expect(b).toMatchObject({ verdict: 'safe', states: a['states'], transitions: a['transitions'] });
    expect(b['workers']).toBe(2);
  });

  it('a vitest test with mmrace/testing passes when the expectation holds and fails with the diagram when not', () => {
    writeFileSync(join(project, 'lost.test.ts'), "import { test } from 'vitest';\nimport { expectViolation } from 'mmrace/testing';\ntest('lost update', async () => { await expectViolation('lost.json', 'counted'); });\n");
    writeFileSync(join(project, 'wrong.test.ts'), "import { test } from 'vitest';\nimport { expectSafe } from 'mmrace/testing';\ntest('not safe', async () => { await expectSafe('lost.json'); });\n");
    ok(run(NPX, ['--no-install', 'vitest', 'run', 'lost.test.ts'], project), 'vitest run lost.test.ts');
    const wrong = run(NPX, ['--no-install', 'vitest', 'run', 'wrong.test.ts'], project);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout + wrong.stderr).toContain('lost.json: expected safe, got violation of counted');
  });

  it('a CommonJS script requires mmrace; an ES module imports it', () => {
    const cjs = run(process.execPath, ['-e', "const m = require('mmrace'); const t = require('mmrace/testing'); console.log(typeof m.check, typeof m.defineModel, typeof t.expectViolation)"], project);
    expect(cjs.stdout.trim(), cjs.stderr).toBe('function function function');
    const esm = run(process.execPath, ['--input-type=module', '-e', "const m = await import('mmrace'); console.log(m.VERSION)"], project);
    expect(esm.stdout.trim(), esm.stderr).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('TypeScript with the defaults of tsc --init type-checks a model against the shipped declarations', () => {
    const ts = join(project, 'typed');
    mkdirSync(ts);
    writeFileSync(join(ts, 'lost.mts'), LOST_UPDATE('typed'));
    ok(run(NPX, ['--no-install', 'tsc', '--init'], ts), 'tsc --init');
    const r = run(NPX, ['--no-install', 'tsc', '--noEmit', '-p', '.'], ts);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    // …and a type error in the model is found, so the check above could fail.
    writeFileSync(join(ts, 'lost.mts'), LOST_UPDATE('typed').replace('c.s.x = c.l.tmp + 1', "c.s.x = 'one'"));
    expect(run(NPX, ['--no-install', 'tsc', '--noEmit', '-p', '.'], ts).status).not.toBe(0);
  });
});
