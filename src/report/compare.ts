import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastRun, type CaseMeta } from '../case/case.js';
import { JOURNAL, readJournal } from '../case/journal.js';

/**
 * persistence-scan has no --baseline of its own yet: the report compares a host's findings with those of
 * the same playbook's last finished run on that host (by stable key and content hash).
 */
export function lastRunFindings(caseDir: string, meta: CaseMeta, label: string): Record<string, unknown>[] | null {
  const prev = lastRun(caseDir, meta.playbook, label, meta.startedAt);
  if (!prev) return null;
  const root = prev.caseDir;
  const end = readJournal(join(root, JOURNAL))
    .filter((e) => e.event === 'step-end' && e.host === label && e.command === 'persistence-scan' && e.outputs?.[0])
    .pop();
  if (!end) return null;
  try {
    const out = JSON.parse(readFileSync(join(root, end.outputs![0]!), 'utf8')) as { findings?: Record<string, unknown>[] };
    return Array.isArray(out.findings) ? out.findings : null;
  } catch {
    return null;
  }
}
