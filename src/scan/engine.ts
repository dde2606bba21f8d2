import { z } from 'zod';
import type { Target } from '../host/target.js';
import { NotAvailable, TargetError } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import { utcNow } from '../core/time.js';
import { UserError } from '../core/errors.js';
import type { Detector, DetectorResult } from './detector.js';
import { Facts } from './facts.js';
import { Finding, ScanWarning, severityRank } from '../core/finding.js';
import { DETECTORS } from './registry.js';
import { ContainerSection } from './containers/schema.js';

export const DetectorRun = z.object({
  id: z.string(),
  examined: z.number(),
  findings: z.number(),
  ms: z.number(),
  notAvailable: z.string().optional(),
  error: z.string().optional(),
});

export const ScanReport = z.object({
  host: z.string(),
  target: z.enum(['local', 'ssh', 'image']),
  startedAt: z.string(),
  endedAt: z.string(),
  detectors: z.array(DetectorRun),
  findings: z.array(Finding),
  warnings: z.array(ScanWarning),
  suppressed: z.array(z.object({ key: z.string(), rule: z.string(), reason: z.string() })),
  /** inside the containers (absent with --no-containers, and inside a container's own scan) */
  containers: ContainerSection.optional(),
  /** with --baseline: what changed against the accepted state */
  baseline: z
    .object({
      file: z.string(),
      counts: z.object({ new: z.number(), changed: z.number(), unchanged: z.number(), gone: z.number() }),
      gone: z.array(z.object({ key: z.string(), rule: z.string(), detector: z.string(), severity: z.string(), title: z.string(), path: z.string().optional() })),
    })
    .optional(),
});
export type ScanReport = z.infer<typeof ScanReport>;

export interface ScanOptions {
  only?: string[];
  deep?: boolean;
  detectors?: Detector[];
  /** the scan inside containers: `skip` (--no-containers, and a container's own scan), `names` (--container) */
  containers?: { skip?: boolean; names?: string[] };
}

/** Picks detectors by id (`--only cron,processes`); an unknown id is a user error naming the valid ones. */
export function selectDetectors(only: string[] | undefined, all: Detector[] = DETECTORS): Detector[] {
  if (!only || only.length === 0) return all;
  const ids = new Set(all.map((d) => d.id));
  const bad = only.filter((o) => !ids.has(o));
  if (bad.length) throw new UserError(`unknown detector ${bad.join(', ')}`, `valid: ${[...ids].join(', ')}`);
  return all.filter((d) => only.includes(d.id));
}

/** Runs the detectors concurrently on one target; one detector's failure is a warning, never fatal. */
export async function runScan(target: Target, policy: Policy, opts: ScanOptions = {}): Promise<ScanReport> {
  const startedAt = utcNow();
  const facts = new Facts(target);
  const chosen = selectDetectors(opts.only, opts.detectors).filter((d) => !d.deepOnly || opts.deep || opts.only?.includes(d.id));
  // containers are scanned beside the host's detectors, with the same detectors over their own files
  const inner = chosen.filter((d) => !d.liveOnly && d.id !== 'containers');
  const judgeLayer = chosen.some((d) => d.id === 'containers');
  const inContainers =
    opts.containers?.skip || (inner.length === 0 && !judgeLayer)
      ? undefined
      : import('./containers/scan.js').then(({ scanContainers }) =>
          scanContainers(target, { detectors: inner, judgeLayer, names: opts.containers?.names, scan: (t, ds) => runScan(t, policy, { only: opts.only ? ds.map((d) => d.id) : undefined, detectors: ds, deep: opts.deep, containers: { skip: true } }) }),
        );
  inContainers?.catch(() => {});
  const runs = await Promise.all(
    chosen.map(async (d): Promise<{ d: Detector; res: DetectorResult; ms: number; error?: string }> => {
      const t0 = performance.now();
      if (d.liveOnly && !target.live) {
        return { d, res: { findings: [], warnings: [], examined: 0, notAvailable: 'not available offline' }, ms: 0 };
      }
      try {
        const res = await d.run({ target, policy, deep: Boolean(opts.deep), facts });
        return { d, res, ms: performance.now() - t0 };
      } catch (err) {
        const message = err instanceof TargetError || err instanceof NotAvailable ? err.message : `${(err as Error).message}`;
        if (err instanceof NotAvailable) return { d, res: { findings: [], warnings: [], examined: 0, notAvailable: message }, ms: performance.now() - t0 };
        return { d, res: { findings: [], warnings: [{ detector: d.id, message: `detector failed: ${message}` }], examined: 0 }, ms: performance.now() - t0, error: message };
      }
    }),
  );
  const suppressed: ScanReport['suppressed'] = [];
  const findings: Finding[] = [];
  const ctr = await inContainers;
  for (const { res } of [...runs, ...(ctr ? [{ res: ctr }] : [])]) {
    for (const f of res.findings) {
      const s = policy.suppressions.find((s) => (!s.rule || s.rule === f.rule) && (!s.key || s.key === f.key) && (!s.path || s.path === f.path));
      if (s) suppressed.push({ key: f.key, rule: f.rule, reason: s.reason });
      else findings.push(f);
    }
  }
  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.detector.localeCompare(b.detector) || a.key.localeCompare(b.key));
  return {
    host: target.name,
    target: target.kind,
    startedAt,
    endedAt: utcNow(),
    detectors: runs.map(({ d, res, ms, ...rest }) => ({
      id: d.id,
      examined: res.examined,
      findings: res.findings.length,
      ms: Math.round(ms),
      ...(res.notAvailable ? { notAvailable: res.notAvailable } : {}),
      ...(rest.error ? { error: rest.error } : {}),
    })),
    findings,
    warnings: [...runs.flatMap((r) => r.res.warnings), ...(ctr?.warnings ?? [])],
    suppressed,
    ...(ctr ? { containers: ctr.section } : {}),
  };
}
