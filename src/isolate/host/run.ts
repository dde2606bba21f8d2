import type { Target } from '../../host/target.js';
import { parseHostSpec } from '../../host/host-spec.js';
import { UserError } from '../../core/errors.js';
import { confirmOrRefuse } from '../../core/confirm.js';
import { confirmHost, containHost, type ContainResult } from './contain.js';
import { readHostJournal } from './journal.js';
import type { HostJournal, HostStep } from './schema.js';
import { parseDuration } from './watchdog.js';
import type { HostNetworkFlagValues } from './flags.js';
import { setExitCode } from '../../core/step.js';

export { hostNetworkFlags, type HostNetworkFlagValues } from './flags.js';

export type HostNetworkCommandResult = ContainResult | { case: string; confirmedAt: string; ok: boolean; detail: string };

/** How the command shows the plan and the result (rendering lives in output/, never in this module). */
export interface HostNetworkView {
  plan(title: string, plan: HostStep[]): string;
  ufwNote(j: HostJournal): string | null;
  result(r: ContainResult): string;
}

export async function runHostNetwork(target: Target, f: HostNetworkFlagValues, ctx: { argv: string[]; toolVersion: string; log: (s: string) => void; view: HostNetworkView }): Promise<HostNetworkCommandResult> {
  if (f.confirm) {
    if (!f.case) throw new UserError('--confirm needs --case DIR of the host isolation');
    const j = await readHostJournal(f.case);
    if (!j) throw new UserError(`${f.case} holds no host-isolation.json`);
    const r = await confirmHost(target, f.case, j);
    ctx.log(r.detail);
    if (!r.ok) setExitCode(1);
    return { case: f.case, ...r };
  }
  let seconds: number;
  try {
    seconds = parseDuration(f['confirm-within']);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const loginUser = f.host?.[0] ? parseHostSpec(f.host[0]).user : process.env.SUDO_USER || process.env.USER;
  const r = await containHost(target, {
    caseDir: f.case,
    allow: f.allow ?? [],
    confirmWithinS: seconds,
    keepEstablished: !f['drop-established'],
    lockUsers: f['lock-user'] ?? [],
    killSessions: f['kill-sessions'] ?? [],
    loginUser,
    dryRun: Boolean(f['dry-run']),
    argv: ctx.argv,
    toolVersion: ctx.toolVersion,
    confirm: async (j, plan) => {
      ctx.log(ctx.view.plan(`quarantine host ${target.name}`, plan));
      const ufw = ctx.view.ufwNote(j);
      if (ufw) ctx.log(ufw);
      await confirmOrRefuse({ yes: f.yes, questions: [`Quarantine ${target.name} now?`], what: `quarantine ${target.name}` });
    },
  });
  if (r.dryRun) ctx.log([ctx.view.plan(`quarantine host ${target.name}`, r.plan), ctx.view.ufwNote(r.record)].filter(Boolean).join('\n'));
  ctx.log(ctx.view.result(r));
  if (r.record.selfTest && !r.record.selfTest.ok) setExitCode(1);
  return r;
}
