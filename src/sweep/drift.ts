import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { utcNow } from '../core/time.js';
import { Severity } from '../core/finding.js';
import { CheckResult } from './result.js';
import { STATE_KINDS, type StateKind } from './defaults.js';
import { StateItem } from './state.js';

/** The accepted state (`--save-baseline`): the checks' verdicts and the state items, by stable key. */
export const Baseline = z.object({
  kind: z.literal('ir-sweep-baseline'),
  version: z.literal(1),
  host: z.string(),
  createdAt: z.string(),
  checks: z.array(z.object({ key: z.string(), id: z.string(), status: z.string(), severity: Severity, contentHash: z.string(), actual: z.string() })),
  state: z.array(StateItem),
  /** the state kinds this baseline kept (sweep --state); absent: all */
  stateKinds: z.array(z.enum(STATE_KINDS)).optional(),
});
export type Baseline = z.infer<typeof Baseline>;

export const StateChange = z.object({
  key: z.string(),
  kind: StateItem.shape.kind,
  change: z.enum(['added', 'removed', 'changed']),
  severity: Severity,
  summary: z.string(),
  was: z.string().optional(),
});
export type StateChange = z.infer<typeof StateChange>;

export const DriftReport = z.object({
  baselineHost: z.string(),
  baselineCreatedAt: z.string(),
  checks: z.object({ new: z.number(), changed: z.number(), unchanged: z.number() }),
  /** checks that failed in the baseline and pass (or are gone) now */
  resolved: z.array(z.string()),
  state: z.array(StateChange),
});
export type DriftReport = z.infer<typeof DriftReport>;

export function makeBaseline(host: string, results: CheckResult[], state: StateItem[], stateKinds?: readonly StateKind[]): Baseline {
  return {
    kind: 'ir-sweep-baseline',
    version: 1,
    host,
    createdAt: utcNow(),
    checks: results.map((r) => ({ key: r.key, id: r.id, status: r.status, severity: r.severity, contentHash: r.contentHash, actual: r.actual })),
    state,
    ...(stateKinds ? { stateKinds: [...stateKinds] } : {}),
  };
}

/** Marks each result new / changed / unchanged (in place) and lists the state that was added, removed or changed. */
export function compareToBaseline(b: Baseline, results: CheckResult[], stateNow: StateItem[], kindsNow: readonly StateKind[] = STATE_KINDS): DriftReport {
  const before = new Map(b.checks.map((c) => [c.key, c]));
  const counts = { new: 0, changed: 0, unchanged: 0 };
  for (const r of results) {
    const old = before.get(r.key);
    r.drift = !old ? 'new' : old.contentHash === r.contentHash ? 'unchanged' : 'changed';
    counts[r.drift]++;
  }
  const now = new Map(results.map((r) => [r.key, r]));
  const resolved = b.checks.filter((c) => c.status === 'fail' && now.get(c.key)?.status !== 'fail').map((c) => c.key);
  // only the kinds both runs kept are compared: a kind one of them left out is neither added nor removed
  const kindsThen = new Set(b.stateKinds ?? STATE_KINDS);
  const both = (s: StateItem) => kindsThen.has(s.kind) && kindsNow.includes(s.kind);
  const state = stateNow.filter(both);
  const oldState = new Map(b.state.filter(both).map((s) => [s.key, s]));
  const newState = new Map(state.map((s) => [s.key, s]));
  const changes: StateChange[] = [];
  for (const s of state) {
    const o = oldState.get(s.key);
    if (!o) changes.push({ key: s.key, kind: s.kind, change: 'added', severity: s.severity, summary: s.summary });
    else if (o.contentHash !== s.contentHash) changes.push({ key: s.key, kind: s.kind, change: 'changed', severity: s.severity, summary: s.summary, was: o.summary });
  }
  for (const o of oldState.values()) if (!newState.has(o.key)) changes.push({ key: o.key, kind: o.kind, change: 'removed', severity: 'info', summary: o.summary });
  changes.sort((x, y) => x.key.localeCompare(y.key));
  return { baselineHost: b.host, baselineCreatedAt: b.createdAt, checks: counts, resolved, state: changes };
}

export async function loadBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`baseline ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 'create it with --save-baseline');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`baseline ${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = Baseline.safeParse(json);
  if (!parsed.success) throw new UserError(`baseline ${file}: not an ir sweep baseline (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/** Written atomically with mode 600: it lists accounts and keys. */
export async function saveBaseline(file: string, b: Baseline): Promise<void> {
  await fsp.mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await fsp.writeFile(tmp, JSON.stringify(b, null, 2) + '\n', { mode: 0o600 });
  await fsp.rename(tmp, file);
}
