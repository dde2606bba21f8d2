import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { JOURNAL, readJournal } from './journal.js';

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

/**
 * The last finished run of the same playbook that included this host, among the case directories next to
 * this one: its start time and this host's directory in it (the `{{since_last_run}}` / `{{last_run}}` templates).
 */
export function lastRun(caseDir: string, playbook: string, hostLabel: string, before: string): { startedAt: string; dir: string; caseDir: string } | null {
  const parent = dirname(caseDir);
  let best: { startedAt: string; dir: string; caseDir: string } | null = null;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return null;
  }
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
    const journal = readJournal(join(dir, JOURNAL));
    const finished = journal.some((e) => e.event === 'host-end' && e.host === hostLabel && e.status !== 'unreachable');
    if (!finished) continue;
    if (!best || meta.startedAt > best.startedAt) best = { startedAt: meta.startedAt, dir: join(dir, h.dir), caseDir: dir };
  }
  return best;
}
