import { na, type Outcome } from '../check.js';
import type { SweepContext } from '../context.js';
import { fail2banFacts, type Fail2banFacts } from '../facts/fail2ban.js';

export const F2B_SOURCE = 'Hardening guide §2 Fail2ban, verification 2';
export const SSHD_JAIL = 'sshd';

/** Runs a fail2ban check only where fail2ban is installed: elsewhere "not applicable" (IR-F2B-001 fails instead). */
export async function withFail2ban(ctx: SweepContext, fn: (f: Fail2banFacts) => Promise<Outcome | Outcome[]>): Promise<Outcome | Outcome[]> {
  const f = await fail2banFacts(ctx);
  if (!f.installed) return na('fail2ban is not installed (see IR-F2B-001)', f.installEvidence);
  return fn(f);
}
