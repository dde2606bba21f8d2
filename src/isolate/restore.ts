import type { Target } from '../host/target.js';
import { UserError } from '../core/errors.js';
import { utcNow } from '../core/time.js';
import { runActions } from './act.js';
import { restoreCheck } from './check.js';
import { writeJournal } from './journal.js';
import { restorePlan } from './plan.js';
import type { Action, ContainerJournal, RestoreRecord } from './schema.js';

export interface RestoreOptions {
  caseDir: string;
  dryRun: boolean;
  force?: boolean;
  waitMs: number;
  confirm: (plan: Action[]) => Promise<void>;
  onProgress?: (what: string) => void;
}

/** Undoes exactly what the journal says was done, then checks that the containers run (and are healthy). */
export async function restoreProject(target: Target, j: ContainerJournal, o: RestoreOptions): Promise<{ plan: Action[]; record?: RestoreRecord }> {
  if (j.host !== target.name) throw new UserError(`the journal was written for host ${j.host}, not ${target.name}`, j.host === 'localhost' ? undefined : `add --host ${j.host}`);
  const done = j.restores.find((r) => r.check.ok);
  if (done && !o.force) throw new UserError(`${j.project.name} was already restored at ${done.endedAt}`, 'add --force to run the restore again');
  const plan = restorePlan(j);
  if (o.dryRun) return { plan };
  await o.confirm(plan);
  const startedAt = utcNow();
  const record: RestoreRecord = { startedAt, endedAt: startedAt, actions: [], check: { at: startedAt, ok: false, checks: [] } };
  j.restores.push(record);
  o.onProgress?.(`restoring ${j.project.name}`);
  await runActions(target, plan, async (r) => {
    record.actions.push(r);
    await writeJournal(o.caseDir, j);
  });
  o.onProgress?.('checking that the containers run');
  record.check = await restoreCheck(target, j, o.waitMs);
  const failed = record.actions.filter((a) => !a.ok);
  if (failed.length) record.check = { ...record.check, ok: false, checks: [...failed.map((a) => ({ subject: a.subject, ok: false, expected: `${a.kind} succeeds`, actual: a.stderr ?? `exit ${a.code}` })), ...record.check.checks] };
  record.endedAt = utcNow();
  await writeJournal(o.caseDir, j);
  return { plan, record };
}
