import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { priorRuns, reportedIn, type CaseMeta } from '../case/case.js';

/**
 * `compare: last_run`: a host's persistence findings against those of the last run of the same playbook
 * that wrote a report (what the responder last read), by stable key and content hash. A run that failed
 * before its report is never the reference.
 */
export function lastRunFindings(caseDir: string, meta: CaseMeta, label: string): Record<string, unknown>[] | null {
  const prev = priorRuns(caseDir, meta.playbook, label, meta.startedAt).find(reportedIn);
  if (!prev) return null;
  const end = prev
    .journal()
    .filter((e) => e.event === 'step-end' && e.host === label && e.command === 'persistence-scan' && (e.status === 'ok' || e.status === 'findings') && e.outputs?.[0])
    .pop();
  if (!end) return null;
  try {
    const out = JSON.parse(readFileSync(join(prev.caseDir, end.outputs![0]!), 'utf8')) as { findings?: Record<string, unknown>[] };
    return Array.isArray(out.findings) ? out.findings : null;
  } catch {
    return null;
  }
}
