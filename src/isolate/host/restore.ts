import type { Target } from '../../host/target.js';
import { UserError } from '../../core/errors.js';
import { utcNow } from '../../core/time.js';
import { confirmOrRefuse } from '../../core/confirm.js';
import type { CheckResult } from '../schema.js';
import { firstDifference, normalizeRuleset, REVERT_RULESET } from './firewall.js';
import { writeHostJournal } from './journal.js';
import { TABLE_FAMILY, TABLE_NAME, type HostJournal, type HostStep, type HostStepResult } from './schema.js';
import { probe, runStep } from './steps.js';
import { existingPaths, getentShadow, unlockSteps } from './users.js';

export interface HostRestoreResult {
  case: string;
  dryRun: boolean;
  plan: HostStep[];
  steps: HostStepResult[];
  checks: CheckResult[];
  ok: boolean;
}

/** Undoes exactly the journal: stop the watchdog, remove ir's table, give the users back what they had. */
export async function restoreHostNetwork(target: Target, j: HostJournal, o: { caseDir: string; dryRun: boolean; yes?: boolean; force?: boolean; log: (s: string) => void; renderPlan: (title: string, plan: HostStep[]) => string }): Promise<HostRestoreResult> {
  if (j.host !== target.name) throw new UserError(`the journal was written for host ${j.host}, not ${target.name}`);
  const done = j.restores.find((r) => r.ok);
  if (done && !o.force) throw new UserError(`the host quarantine was already restored at ${done.endedAt}`, 'add --force to run the restore again');
  const applied = j.steps.filter((s) => s.ok);
  const plan: HostStep[] = [
    { kind: 'watchdog-stop', subject: 'dead man\'s switch', argv: ['sh', '-c', 'mkdir -p "$1" && touch "$1/restored"', 'sh', j.stateDir], why: 'the watchdog exits at its next tick' },
  ];
  if (applied.some((s) => s.kind === 'nft-apply')) plan.push({ kind: 'nft-revert', subject: `table ${TABLE_FAMILY} ${TABLE_NAME}`, argv: ['nft', '-f', '-'], input: REVERT_RULESET, why: 'other tables were never touched' });
  for (const u of j.users) plan.push(...unlockSteps(u, applied.filter((s) => s.subject === u.user)));
  if (o.dryRun) {
    o.log(o.renderPlan('restore the host\'s network', plan));
    return { case: o.caseDir, dryRun: true, plan, steps: [], checks: [], ok: true };
  }
  o.log(o.renderPlan('restore the host\'s network', plan));
  await confirmOrRefuse({ yes: o.yes, questions: ['Restore the host\'s network now?'], what: 'restore the host' });
  const startedAt = utcNow();
  const steps: HostStepResult[] = [];
  for (const s of plan) {
    // the watchdog may have reverted already: deleting a missing table is not a failure then
    if (s.kind === 'nft-revert' && (await probe(target, ['nft', 'list', 'table', TABLE_FAMILY, TABLE_NAME])).code !== 0) continue;
    steps.push(await runStep(target, s));
  }
  const checks = await hostRestoreCheck(target, j);
  for (const s of steps.filter((x) => !x.ok)) checks.push({ subject: s.kind, ok: false, expected: 'succeeds', actual: s.stderr ?? `exit ${s.code}` });
  const ok = checks.every((c) => c.ok);
  j.restores.push({ startedAt, endedAt: utcNow(), steps, ok, checks });
  await writeHostJournal(o.caseDir, j);
  return { case: o.caseDir, dryRun: false, plan, steps, checks, ok };
}

/** The ruleset is the one from before (counters aside), the users are as they were. */
export async function hostRestoreCheck(target: Target, j: HostJournal): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  const now = await probe(target, ['nft', 'list', 'ruleset']);
  const a = normalizeRuleset(j.firewall.beforeRuleset);
  const b = normalizeRuleset(now.stdout);
  const gone = !new RegExp(`^table ${TABLE_FAMILY} ${TABLE_NAME} `, 'm').test(now.stdout);
  checks.push({ subject: 'nft ruleset', ok: gone && a === b, expected: 'the ruleset from before', actual: !gone ? `table ${TABLE_NAME} still loaded` : a === b ? 'identical to before (counters aside)' : firstDifference(a, b) });
  for (const u of j.users) {
    const sh = await getentShadow(target, u.user).catch(() => null);
    const locked = (sh?.hash ?? '').startsWith('!');
    const present = await existingPaths(target, u.authorizedKeys);
    const missing = u.authorizedKeys.filter((k) => !present.includes(k));
    const ok = locked === u.passwordLocked && (sh?.expire ?? '') === u.expire && missing.length === 0;
    checks.push({ subject: `user ${u.user}`, ok, expected: `password ${u.passwordLocked ? 'locked' : 'unlocked'}, expire ${u.expire || 'never'}, keys back`, actual: `password ${locked ? 'locked' : 'unlocked'}, expire ${sh?.expire || 'never'}, missing keys: ${missing.join(',') || 'none'}` });
  }
  return checks;
}
