/**
 * The race diagram of one violation per seed family, against expected text: each file
 * under golden/ was written by reading it against the diagram of its thread
 * (docs/seed-problems.md, section "Diagram." of each problem): the same story in the same
 * order, the parameters and initial state that make the race, choices by value, the
 * hypervisor's column for Xen, the fault's message on the faulting line, and a verdict
 * line. A change to a model, to the replay or to the layout that changes a diagram
 * fails here: read the new diagram against the thread before updating the file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lkml } from '../../../src/report/lkml.js';
import { seedCase } from './fixtures.js';

const GOLDEN = [
  { family: 'trans_pgd', scenario: 'scenarios/trans_pgd/v0-inv-other.json' },
  { family: 'xen', scenario: 'scenarios/xen/v-pre-high.json' },
  { family: 'direct_map', scenario: 'scenarios/direct_map/b1.json' },
  { family: 'riscv_kexec', scenario: 'scenarios/riscv_kexec/b.json' },
  { family: 'contpte', scenario: 'scenarios/contpte/b-kernel.json' },
] as const;

const golden = (family: string) => readFileSync(new URL(`./golden/${family}.lkml.txt`, import.meta.url), 'utf8');

describe('the lkml diagram of one violation per family reads like its thread', () => {
  it.each(GOLDEN)('$family ($scenario)', async ({ family, scenario }) => {
    const { story } = await seedCase(scenario);
    expect(lkml(story)).toBe(golden(family));
  });

  it('the golden files keep the format: at most 80 columns, no trailing spaces, no control characters', () => {
    for (const { family } of GOLDEN) {
      const text = golden(family);
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.slice(0, -1).split('\n')) {
        expect(line.length, `${family}: ${line}`).toBeLessThanOrEqual(80);
        expect(line).toBe(line.trimEnd());
        expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }
    }
  });
});
