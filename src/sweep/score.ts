import { z } from 'zod';
import type { Severity } from '../core/finding.js';
import { AREAS, type Area, type CheckResult } from './result.js';

/** Like Lynis's hardening index: points per passed check, weighted by severity, over the applicable ones. */
const WEIGHT: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export const AreaSummary = z.object({ pass: z.number(), fail: z.number(), na: z.number(), error: z.number(), index: z.number().nullable() });
export const SweepScore = z.object({
  /** 0–100; null when nothing applied */
  index: z.number().nullable(),
  earned: z.number(),
  possible: z.number(),
  byArea: z.record(z.string(), AreaSummary),
});
export type SweepScore = z.infer<typeof SweepScore>;

function indexOf(rs: CheckResult[]): { index: number | null; earned: number; possible: number } {
  let earned = 0;
  let possible = 0;
  for (const r of rs) {
    if (r.status !== 'pass' && r.status !== 'fail') continue;
    possible += WEIGHT[r.severity];
    if (r.status === 'pass') earned += WEIGHT[r.severity];
  }
  return { index: possible ? Math.round((100 * earned) / possible) : null, earned, possible };
}

export function score(results: CheckResult[]): SweepScore {
  const byArea: Record<string, z.infer<typeof AreaSummary>> = {};
  for (const area of AREAS) {
    const rs = results.filter((r) => r.area === (area as Area));
    if (rs.length === 0) continue;
    const count = (s: CheckResult['status']) => rs.filter((r) => r.status === s).length;
    byArea[area] = { pass: count('pass'), fail: count('fail'), na: count('na'), error: count('error'), index: indexOf(rs).index };
  }
  return { ...indexOf(results), byArea };
}
