import { na, type Outcome } from '../check.js';
import type { SweepContext } from '../context.js';
import { ufwFacts, type UfwFacts } from '../facts/ufw.js';

export const FW_SOURCE = 'Hardening guide §3 UFW Firewall, verification 3; Setup guide §8 Firewall Configuration';

export async function withUfw(ctx: SweepContext, fn: (u: UfwFacts) => Outcome | Promise<Outcome>): Promise<Outcome> {
  const u = await ufwFacts(ctx);
  if (!u.installed) return na('ufw is not installed (the guides filter with ufw; other firewalls are not judged here)', u.evidence);
  return fn(u);
}
