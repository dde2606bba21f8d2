import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { JOURNAL, readJournal, type JournalEvent } from './journal.js';

/** `case.json`: what a later `--resume` and the next run's `{{last_run}}` need to know about this case. */
export const CaseMeta = z.object({
  kind: z.literal('ir-case'),
  id: z.string(),
  playbook: z.string(),
  version: z.number().int(),
  /** sha256 of playbook.yaml, the copy of the playbook as it ran */
  playbookSha256: z.string(),
  startedAt: z.string(),
  fleet: z.boolean(),
  hosts: z.array(z.object({ label: z.string(), spec: z.string().optional(), identity: z.string().optional(), groups: z.array(z.string()), dir: z.string() })),
  target: z.enum(['local', 'ssh', 'image']),
  root: z.string().optional(),
  /** the run's target flags (name, value), given to every step whose command has them */
  targetArgs: z.array(z.object({ name: z.string(), value: z.union([z.string(), z.boolean(), z.number()]) })),
  vars: z.record(z.string(), z.string().nullable()),
});
export type CaseMeta = z.infer<typeof CaseMeta>;

export const CASE_META = 'case.json';
export const CASE_PLAYBOOK = 'playbook.yaml';

export { hostDirName } from '../host/fleet.js';

export function writeCaseMeta(caseDir: string, meta: CaseMeta, playbookText: string): void {
  mkdirSync(caseDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(caseDir, CASE_META), JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
  writeFileSync(join(caseDir, CASE_PLAYBOOK), playbookText, { mode: 0o600 });
}

export function readCaseMeta(caseDir: string): CaseMeta {
  const path = join(caseDir, CASE_META);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path}: not a playbook case (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no case.json' : (err as Error).message})`);
  }
  const p = CaseMeta.safeParse(raw);
  if (!p.success) throw new UserError(`${path}: not a playbook case: ${p.error.issues[0]?.path.join('.')} ${p.error.issues[0]?.message}`);
  return p.data;
}

/** An earlier run of the same playbook that included this host, as found next to a new case. */
export interface PriorRun {
  caseDir: string;
  startedAt: string;
  /** this host's directory in that case */
  hostDir: string;
  /** that case's journal, read on first use */
  journal(): JournalEvent[];
}

/**
 * Earlier runs of `playbook` that included `hostLabel`, newest first, among the case directories next
 * to `caseDir` that started before `before`. Which one a template or the report uses depends on what it
 * needs from it: a file it wrote, a step that completed, a report (the `{{last_run}}` built-ins).
 */
export function priorRuns(caseDir: string, playbook: string, hostLabel: string, before: string): PriorRun[] {
  const parent = dirname(caseDir);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const out: PriorRun[] = [];
  for (const name of names) {
    const dir = join(parent, name);
    if (dir === caseDir || !existsSync(join(dir, CASE_META))) continue;
    let meta: CaseMeta;
    try {
      meta = readCaseMeta(dir);
    } catch {
      continue;
    }
    if (meta.playbook !== playbook || meta.startedAt >= before) continue;
    const h = meta.hosts.find((x) => x.label === hostLabel);
    if (!h) continue;
    let events: JournalEvent[] | undefined;
    out.push({ caseDir: dir, startedAt: meta.startedAt, hostDir: join(dir, h.dir), journal: () => (events ??= readJournal(join(dir, JOURNAL))) });
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** The run finished on this host (it was reachable and got to its end). */
export function finishedOn(run: PriorRun, hostLabel: string): boolean {
  return run.journal().some((e) => e.event === 'host-end' && e.host === hostLabel && e.status !== 'unreachable');
}

/** Every step of `commands` ended ok or findings on this host in that run. */
export function completedOn(run: PriorRun, hostLabel: string, commands: readonly string[]): boolean {
  const ends = run.journal().filter((e) => e.event === 'step-end' && e.host === hostLabel && (e.status === 'ok' || e.status === 'findings'));
  return commands.every((c) => ends.some((e) => e.command === c));
}

/** The run wrote its report (report.md / report.html): the built-in report step ended ok. */
export function reportedIn(run: PriorRun): boolean {
  return run.journal().some((e) => e.event === 'step-end' && e.host === undefined && e.command === 'report' && e.status === 'ok');
}
