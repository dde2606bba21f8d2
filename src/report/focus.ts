import type { Focus } from './model.js';

/** A dated event of the case, weighted by how much it says about the attack. */
export interface Dated {
  t: number;
  w: number;
  kind: 'failure' | 'login' | 'persistence' | 'privilege' | 'alert';
}

const MIN = 60_000;
const HOUR = 60 * MIN;
/** key events further apart than this are two incidents */
const KEY_GAP = 24 * HOUR;
/** lead-up and aftermath: events chained to the incident with gaps no longer than this… */
const CHAIN_GAP = 2 * HOUR;
/** …and no further from it than this */
const CHAIN_MAX = 24 * HOUR;

/** A login after failures, persistence at high or above, a high alert, sudo or an account change. */
function isKey(e: Dated): boolean {
  return (e.kind === 'login' && e.w >= 20) || (e.kind === 'persistence' && e.w >= 10) || (e.kind === 'alert' && e.w >= 10) || e.kind === 'privilege';
}

/**
 * The window of the focus panel: the densest group of key events (ties: the latest), widened to the
 * failures and changes that lead up to it and follow it without a pause, so it runs from the first
 * failure or first changed persistence file to the last finding. An old key (a file from last year) is
 * not chained to the attack: it stays outside, counted at the panel's edge instead of stretching it.
 * `all` are every dated mark (ir's own actions too), for the counts at the edges.
 */
export function focusWindow(dated: readonly Dated[], all: readonly number[]): Focus | null {
  if (!dated.length) return null;
  const sorted = [...dated].sort((a, b) => a.t - b.t);
  const key = sorted.filter(isKey);
  const base = key.length ? key : sorted;
  const gap = key.length ? KEY_GAP : 6 * HOUR;
  let best: { from: number; to: number; score: number } | null = null;
  let cur = { from: base[0]!.t, to: base[0]!.t, score: 0 };
  for (const e of base) {
    if (e.t - cur.to > gap) {
      if (!best || cur.score >= best.score) best = cur;
      cur = { from: e.t, to: e.t, score: 0 };
    }
    cur.to = e.t;
    cur.score += e.w;
  }
  if (!best || cur.score >= best.score) best = cur;
  let from = best.from;
  let to = best.to;
  // the lead-up (the brute force before the login) and what followed, while there is no pause
  for (let i = sorted.length - 1; i >= 0; i--) {
    const t = sorted[i]!.t;
    if (t >= from) continue;
    if (from - t > CHAIN_GAP || best.from - t > CHAIN_MAX) break;
    from = t;
  }
  for (const e of sorted) {
    if (e.t <= to) continue;
    if (e.t - to > CHAIN_GAP || e.t - best.to > CHAIN_MAX) break;
    to = e.t;
  }
  const pad = Math.max(2 * MIN, (to - from) * 0.04);
  from -= pad;
  to += pad;
  let earlier = 0;
  let later = 0;
  for (const t of all) {
    if (t < from) earlier++;
    else if (t > to) later++;
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), earlier, later };
}
