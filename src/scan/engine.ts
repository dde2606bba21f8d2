import { z } from 'zod';
import type { Target } from '../host/target.js';
import { NotAvailable, TargetError } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import { utcNow } from '../core/time.js';
import { UserError } from '../core/errors.js';
import type { Detector, DetectorResult } from './detector.js';
import { Facts } from './facts.js';
import { Finding, ScanWarning, Severity, severityRank } from '../core/finding.js';
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
  /**
   * input that exists but could not be evaluated (a detector threw, a file or directory could not be
   * read or parsed): the scan is incomplete, the verdict names it and the exit code is 2
   */
  errors: z.array(ScanWarning),
  /** items read only in part or not at all (too large, unreadable, not a regular file): counted at the top */
  unread: z.array(z.object({ detector: z.string(), path: z.string().optional(), reason: z.string() })),
  /** set by decideScan: the severity that makes the exit code 1, and the exit code (0 clean, 1 findings, 2 incomplete) */
  failOn: Severity.optional(),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
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

/** What the shared facts read (accounts, package ownership), whichever detector asks first. */
export const FACTS_READ = ['/etc/passwd', '/var/lib/dpkg/{status,diversions}'];

/** Runs the detectors concurrently on one target; one detector's failure is a warning, never fatal. */
export async function runScan(host: Target, policy: Policy, opts: ScanOptions = {}): Promise<ScanReport> {
  const startedAt = utcNow();
  const chosen = selectDetectors(opts.only, opts.detectors).filter((d) => !d.deepOnly || opts.deep || opts.only?.includes(d.id));
  // over ssh: what the chosen detectors and the shared facts declare, read in one batch (host/batch/); locally the host itself
  const declared = (ds: Detector[]) => [...FACTS_READ, ...ds.flatMap((d) => d.locations)];
  const target = (await host.prefetch?.({ paths: declared(chosen) })) ?? host;
  const facts = new Facts(target);
  // containers are scanned beside the host's detectors, with the same detectors over their own files
  const inner = chosen.filter((d) => !d.liveOnly && d.id !== 'containers');
  const judgeLayer = chosen.some((d) => d.id === 'containers');
  const inContainers =
    opts.containers?.skip || (inner.length === 0 && !judgeLayer)
      ? undefined
      : import('./containers/scan.js').then(({ scanContainers }) =>
          scanContainers(target, { detectors: inner, judgeLayer, declared: declared(inner), names: opts.containers?.names, scan: (t, ds) => runScan(t, policy, { only: opts.only ? ds.map((d) => d.id) : undefined, detectors: ds, deep: opts.deep, containers: { skip: true } }) }),
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
        const failed = { detector: d.id, message: `detector failed: ${message}` };
        return { d, res: { findings: [], warnings: [failed], errors: [failed], unread: [{ detector: d.id, reason: `detector failed: ${message}` }], examined: 0 }, ms: performance.now() - t0, error: message };
      }
    }),
  );
  const reading = target.reading?.();
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
  if (target !== host) await target.close();
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
    warnings: [...runs.flatMap((r) => r.res.warnings), ...(ctr?.warnings ?? []), ...(reading?.mode === 'per-file' ? [{ detector: 'batch', message: reading.note }] : [])],
    // a container whose files could not be read is a scan that could not run there: never "nothing found"
    errors: [...runs.flatMap((r) => r.res.errors ?? []), ...(ctr?.section.runs.filter((x) => x.error).map((x) => ({ detector: 'containers', path: x.name, message: `container not read: ${x.error}` })) ?? [])],
    unread: runs.flatMap((r) => r.res.unread ?? []),
    suppressed,
    ...(ctr ? { containers: ctr.section } : {}),
  };
}

/** Findings that make the exit code 1: at or above failOn, and with a baseline only the new or changed ones. */
export function failingFindings(r: ScanReport, failOn: Severity): Finding[] {
  return r.findings.filter((f) => severityRank(f.severity) >= severityRank(failOn) && f.drift !== 'unchanged');
}

/** The exit decision, kept in the report: 2 when a detector could not evaluate input that exists (an incomplete scan is never "nothing found"), 1 findings, 0 clean. */
export function decideScan(r: ScanReport, failOn: Severity): ScanReport {
  const exitCode = r.errors.length ? 2 : failingFindings(r, failOn).length ? 1 : 0;
  return { ...r, failOn, exitCode };
}
