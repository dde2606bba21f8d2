import { createHash } from 'node:crypto';
import { z } from 'zod';

import { SEVERITIES } from './severity.js';

export { SEVERITIES, severityRank, maxSeverity } from './severity.js';
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/** One fact with its evidence. Human output, --json, baselines and reports are renderings of it. */
export const Finding = z.object({
  /** the detector's rule id, e.g. `cron.fetch-exec` */
  rule: z.string(),
  /** stable instance key: the same crontab line has the same key on every run and host */
  key: z.string(),
  /** hash of the evidence, so that a later run tells changed from new */
  contentHash: z.string(),
  detector: z.string(),
  category: z.string(),
  severity: Severity,
  title: z.string(),
  host: z.string(),
  path: z.string().optional(),
  line: z.number().int().optional(),
  pid: z.number().int().optional(),
  port: z.number().int().optional(),
  user: z.string().optional(),
  /** the raw line, command line or key, as read */
  evidence: z.string(),
  /** MITRE ATT&CK technique id */
  attack: z.string().optional(),
  reason: z.string(),
  remediation: z.string().optional(),
  /** UTC ISO 8601 mtime of the file the finding was read from, where known */
  mtime: z.string().optional(),
  /** extra parsed attributes (schedule, key fingerprint, process tree…) */
  details: z.record(z.string(), z.unknown()).optional(),
  /** the container the finding was read in (its files, its processes); absent on the host itself */
  container: z
    .object({
      name: z.string(),
      id: z.string(),
      image: z.string(),
      project: z.string().optional(),
      service: z.string().optional(),
    })
    .optional(),
  /** with --baseline: new, changed or unchanged against the accepted state */
  drift: z.enum(['new', 'changed', 'unchanged']).optional(),
});
export type Finding = z.infer<typeof Finding>;

/** A problem with one item (unreadable file, malformed line): reported, never fatal. */
export const ScanWarning = z.object({
  detector: z.string(),
  path: z.string().optional(),
  message: z.string(),
});
export type ScanWarning = z.infer<typeof ScanWarning>;

export function contentHash(...parts: (string | number | undefined)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p ?? '')).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** Builds the stable key from the detector, the location and the entry (never a line number or time). */
export function instanceKey(detector: string, location: string, entry: string): string {
  return `${detector}:${location}:${contentHash(entry)}`;
}
