/**
 * The steps of a replay in plain text (`mmrace check`, `mmrace replay`): each choice by
 * value when the replay recorded it, each note on a line of its own, init's choices, and
 * every model string kept on its line.
 */
import { describe, expect, it } from 'vitest';
import { formatReplay, formatSteps } from '../../../src/report/text.js';
import type { ReplayResult } from '../../../src/trace/replay.js';

const result = (over: Partial<ReplayResult> = {}): ReplayResult => ({
  reproduced: true,
  kind: 'fault',
  property: 'INV-KFAULT',
  message: 'Oops',
  initial: [{ slot: 'x', value: '0' }],
  steps: [
    {
      n: 1,
      actor: 'K',
      instance: 0,
      label: 'access',
      choice: [1, 1],
      values: [
        { name: 'page', value: 1, index: 1, count: true },
        { name: 'op', value: 'store', index: 1 },
      ],
      changes: [{ slot: 'x', from: '0', to: '1' }],
    },
    { n: 2, actor: 'K', instance: 0, label: 'pin', choice: [2], changes: [], notes: [{ text: 'pin L1(6)' }, { party: 'Xen', text: 'get_page_type(6,L1): W!=L1 -> -EINVAL' }] },
  ],
  sourceChanged: false,
  ...over,
});

describe('formatSteps', () => {
  it('shows choices by value when recorded, else the indices, and each note under its step', () => {
    const lines = formatSteps(result()).map((l) => l.trimEnd());
    expect(lines[0]).toMatch(/^ +1\. K\[0\] access \(page 1, store\)$/);
    expect(lines[1]).toMatch(/^ +x: 0 → 1$/);
    expect(lines[2]).toMatch(/^ +2\. K\[0\] pin choice 2$/);
    expect(lines[3]).toMatch(/^ +note: pin L1\(6\)$/);
    expect(lines[4]).toMatch(/^ +Xen: get_page_type\(6,L1\): W!=L1 -> -EINVAL$/);
  });

  it("says what init chose, by name and value, before the initial state", () => {
    const lines = formatReplay(result({ init: { values: [{ name: 'dpa', value: 0, index: 0 }, { value: 'INV_OTHER in D', index: 5 }], notes: [] } }), 't.json');
    expect(lines).toContain('  init chose: dpa=0, INV_OTHER in D');
    expect(lines.indexOf('  init chose: dpa=0, INV_OTHER in D')).toBeLessThan(lines.indexOf('  initial state:'));
    expect(formatReplay(result(), 't.json').some((l) => l.includes('init chose'))).toBe(false);
  });

  it('keeps hostile values and notes on their line', () => {
    const r = result();
    const hostile: ReplayResult = {
      ...r,
      steps: [{ ...r.steps[0]!, values: [{ name: 'a\nb', value: 'x\r\ny\x1b[2J', index: 0 }], notes: [{ party: 'X\nY', text: 'one\ntwo' }] }],
    };
    const lines = formatSteps(hostile);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).not.toMatch(/[\n\r\x1b]/);
  });
});
