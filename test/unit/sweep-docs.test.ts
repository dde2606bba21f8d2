import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksTable, TABLE_BEGIN, TABLE_END } from '../../src/sweep/docs.js';
import { CHECKS } from '../../src/sweep/registry.js';
import { ROOT } from '../helpers/cli.js';

const DOC = join(ROOT, 'docs/sweep.md');

test('docs/sweep.md lists every check of the registry (IR_UPDATE_DOCS=1 regenerates it)', () => {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  const fresh = `${TABLE_BEGIN}\n${checksTable()}\n${TABLE_END}`;
  if (process.env.IR_UPDATE_DOCS) writeFileSync(DOC, text.slice(0, start) + fresh + text.slice(end + TABLE_END.length));
  else expect(text.slice(start, end + TABLE_END.length)).toBe(fresh);
});

test('check ids are unique and every check names its seed source', () => {
  const ids = CHECKS.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const c of CHECKS) {
    expect(c.id).toMatch(/^IR-[A-Z0-9]+-\d{3}$/);
    expect(c.source).toMatch(/Hardening seed|Setup guide/);
  }
});
