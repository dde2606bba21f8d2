import { z } from 'zod';
import type { ScanReport } from './engine.js';
import { Finding, Severity } from '../core/finding.js';

/**
 * The accepted state of a host (`--save-baseline FILE`): each finding's stable key and content hash, never a
 * timestamp, so that saving twice from the same state gives the same file and a diff of two baselines is a
 * diff of the host.
 */
export const BaselineEntry = z.object({
  key: z.string(),
  contentHash: z.string(),
  rule: z.string(),
  detector: z.string(),
  severity: Severity,
  title: z.string(),
  path: z.string().optional(),
});
export type BaselineEntry = z.infer<typeof BaselineEntry>;

export const Baseline = z.object({
  kind: z.literal('ir-persistence-baseline'),
  version: z.literal(1),
  host: z.string(),
  entries: z.array(BaselineEntry),
});
export type Baseline = z.infer<typeof Baseline>;

/** Findings of a report as the accepted state, sorted by key so that the file is stable. */
export function saveBaseline(report: Pick<ScanReport, 'host' | 'findings'>): Baseline {
  const byKey = new Map<string, BaselineEntry>();
  for (const f of report.findings) {
    byKey.set(f.key, { key: f.key, contentHash: f.contentHash, rule: f.rule, detector: f.detector, severity: f.severity, title: f.title, ...(f.path ? { path: f.path } : {}) });
  }
  return { kind: 'ir-persistence-baseline', version: 1, host: report.host, entries: [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key)) };
}

/** Parses a baseline file's text; errors say what is wrong in words a user can act on. */
export function parseBaseline(text: string, file = 'baseline'): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`);
  }
  const r = Baseline.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${file}: not an ir persistence baseline (${i.path.join('.') || 'top'}: ${i.message})`);
  }
  return r.data;
}

export interface BaselineComparison {
  /** every current finding with its drift against the accepted state */
  findings: Finding[];
  /** accepted findings that are no longer there (removed, or no longer visible to this scan) */
  gone: BaselineEntry[];
  counts: { new: number; changed: number; unchanged: number; gone: number };
}

/**
 * Compares a scan with the accepted state (not with the last run: a change stays visible until someone
 * accepts it with --save-baseline). Only new and changed findings should count toward --fail-on.
 */
export function compareBaseline(report: Pick<ScanReport, 'findings' | 'detectors'> & Partial<Pick<ScanReport, 'unread'>>, baseline: Baseline): BaselineComparison {
  const accepted = new Map(baseline.entries.map((e) => [e.key, e]));
  const seen = new Set<string>();
  const findings = report.findings.map((f): Finding => {
    seen.add(f.key);
    const a = accepted.get(f.key);
    return { ...f, drift: !a ? 'new' : a.contentHash === f.contentHash ? 'unchanged' : 'changed' };
  });
  // a detector that did not run this time (--only, not available offline) says nothing about its entries
  const ran = new Set(report.detectors.filter((d) => !d.notAvailable && !d.error).map((d) => d.id));
  // nor does a file it could not read this time (or one under a directory it could not list): unknown, not gone
  const unread = (report.unread ?? []).filter((u) => u.path);
  const notRead = (e: Baseline['entries'][number]) => unread.some((u) => u.detector === e.detector && e.path !== undefined && (e.path === u.path || e.path.startsWith(`${u.path}/`)));
  const gone = baseline.entries.filter((e) => !seen.has(e.key) && ran.has(e.detector) && !notRead(e));
  const count = (d: Finding['drift']) => findings.filter((f) => f.drift === d).length;
  return { findings, gone, counts: { new: count('new'), changed: count('changed'), unchanged: count('unchanged'), gone: gone.length } };
}

/** The findings that count toward --fail-on when a baseline is given. */
export function driftingFindings(cmp: BaselineComparison): Finding[] {
  return cmp.findings.filter((f) => f.drift === 'new' || f.drift === 'changed');
}
