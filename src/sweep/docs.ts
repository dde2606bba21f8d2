import { defaultPolicy } from '../core/policy.js';
import { CHECKS } from './registry.js';

/** The table of docs/sweep.md, generated from the registry so that it cannot drift from the code. */
export function checksTable(): string {
  const policy = defaultPolicy();
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = CHECKS.map((c) => {
    const expected = typeof c.expected === 'function' ? c.expected(policy) : c.expected;
    const peer = [c.lynis ? `Lynis ${c.lynis}` : '', c.cis ? `CIS Docker ${c.cis}` : ''].filter(Boolean).join(', ') || '—';
    return `| ${c.id} | ${c.area} | ${c.severity} | ${cell(c.title)}${c.liveOnly ? ' (live only)' : ''} | ${cell(expected)} | ${cell(c.source)} | ${peer} | ${cell(c.reads.join('; '))} |`;
  });
  return ['| id | area | severity | check | expected | seed source | peer id | reads |', '| --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

export const TABLE_BEGIN = '<!-- checks table: generated from src/sweep/registry.ts (IR_UPDATE_DOCS=1 jest test/unit/sweep-docs.test.ts) -->';
export const TABLE_END = '<!-- end of checks table -->';
