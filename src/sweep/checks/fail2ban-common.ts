import { problemText } from '../../fail2ban/ini.js';
import { broken, na, type Outcome } from '../check.js';
import type { SweepContext } from '../context.js';
import { fail2banFacts, type Fail2banFacts } from '../facts/fail2ban.js';

export const F2B_SOURCE = 'Hardening guide §2 Fail2ban, verification 2';
export const SSHD_JAIL = 'sshd';

/**
 * Runs a fail2ban check only where fail2ban is installed: elsewhere "not applicable" (IR-F2B-001 fails
 * instead). A check that reads the configuration cannot judge one fail2ban cannot read (it refuses to
 * start on a malformed line, and skips a file that is not UTF-8): that is the check's error, with the
 * file and line, never a pass on the part that was read.
 */
export async function withFail2ban(ctx: SweepContext, fn: (f: Fail2banFacts) => Promise<Outcome | Outcome[]>, opts: { readsConfig?: boolean } = {}): Promise<Outcome | Outcome[]> {
  const f = await fail2banFacts(ctx);
  if (!f.installed) return na('fail2ban is not installed (see IR-F2B-001)', f.installEvidence);
  const e = f.errors[0];
  if (e && opts.readsConfig !== false) {
    const more = f.errors.length > 1 ? ` (and ${f.errors.length - 1} more)` : '';
    return broken(`${problemText(e)}${more}`, e.path, { path: e.path, line: e.line || undefined });
  }
  return fn(f);
}
