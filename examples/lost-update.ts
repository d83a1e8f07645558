import { defineModel, int } from 'mmrace/model';

export default defineModel({
  id: 'lost-update',
  state: { x: int(0, 2) },
  actors: { t: { instances: 2, locals: { tmp: int(0, 2) }, steps: {
    read: (c) => { c.l.tmp = c.s.x; },
    write: (c) => { c.s.x = c.l.tmp + 1; },
  } } },
  invariants: { counted: (s, w) => w.pc('t', 0) !== 'done' || w.pc('t', 1) !== 'done' || s.x === 2 },
});
