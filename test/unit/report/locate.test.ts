/** src/report/locate.ts: the line of a model file that defines a step or invariant, and repository paths. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findingName, keyLine, repositoryRoot, underRoot } from '../../../src/report/locate.js';
import { checkResult } from './fixtures.js';

const SOURCE = [
  "import { defineModel } from 'mmrace/model';", // 1
  'export default defineModel({', // 2
  '  actors: {', // 3
  '    mmu: { steps: {', // 4
  "      'mmu:walk': (c) => { c.s.x = 1; },", // 5
  '      read: (c) => { c.s.y = c.s.x; }, // not readme: or x::read', // 6
  '      "pte-clear"  : { await: (c) => c.s.y, do: () => {} },', // 7
  '    } },', // 8
  '  },', // 9
  '  invariants: { INV_X: (s) => s.x < 2, `INV-Y`: (s) => s.y < 2 },', // 10
  '});', // 11
].join('\n');

describe('keyLine', () => {
  it.each([
    ['mmu:walk', 5],
    ['read', 6],
    ['pte-clear', 7],
    ['INV_X', 10],
    ['INV-Y', 10],
    ['mmu', 4],
  ])('%s is defined on line %i', (name, line) => {
    expect(keyLine(SOURCE, name)).toBe(line);
  });

  it('from a line on: a step of the same name in a later actor', () => {
    expect(keyLine(SOURCE, 'read', 6)).toBeNull();
    expect(keyLine(SOURCE, 'pte-clear', 4)).toBe(7);
  });

  it('a name that is no key, or only part of one, or a regular-expression character, is not found', () => {
    expect(keyLine(SOURCE, 'walk')).toBeNull();
    expect(keyLine(SOURCE, 'readme')).toBeNull();
    expect(keyLine(SOURCE, 'x')).toBeNull();
    expect(keyLine(SOURCE, '.*')).toBeNull();
  });
});

describe('findingName', () => {
  it('the invariant of an invariant violation; the last step of the trace otherwise', () => {
    const trace = { schedule: [{ actor: 'mmu', instance: 0, label: 'read' }, { actor: 'mmu', instance: 0, label: 'mmu:walk' }] };
    expect(findingName(checkResult({ verdict: 'violation', kind: 'invariant', property: 'INV_X', trace } as never))).toEqual({ name: 'INV_X' });
    expect(findingName(checkResult({ verdict: 'violation', kind: 'fault', property: 'oops', trace } as never))).toEqual({ name: 'mmu:walk', actor: 'mmu' });
    expect(findingName(checkResult({ verdict: 'error', code: 'E_MODEL_THREW', trace } as never))).toEqual({ name: 'mmu:walk', actor: 'mmu' });
    expect(findingName(checkResult({}))).toBeNull();
  });
});

describe('repositoryRoot and underRoot', () => {
  it('the nearest folder with .git; paths inside it relative, with forward slashes; outside it, as given', () => {
    const top = mkdtempSync(join(tmpdir(), 'mmrace-locate-'));
    mkdirSync(join(top, '.git'));
    mkdirSync(join(top, 'models', 'contpte'), { recursive: true });
    expect(repositoryRoot(join(top, 'models', 'contpte'))).toBe(top);
    expect(underRoot(join(top, 'models', 'contpte', 'c.ts'), top)).toBe('models/contpte/c.ts');
    expect(underRoot('/elsewhere/m.ts', top)).toBe('/elsewhere/m.ts');
    expect(underRoot(join(top, '..', 'next-door.json'), top)).toBe(join(top, '..', 'next-door.json'));
  });
});
