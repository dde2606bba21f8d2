import { appendFileSync, mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Target } from '../host/target.js';
import type { AuthReport } from '../logs/auth-report.js';
import { UserError } from '../core/errors.js';
import { utcNow } from '../core/time.js';
import { Fail2banClient } from './client.js';

/**
 * `ir unban` and `ir ban`: validate every address first (one bad argument: nothing changes), plan
 * per jail, check the auth log before letting an attacker back in, confirm, act through
 * fail2ban-client, and record every change in a JSONL journal.
 */

import { DEFAULT_JOURNAL } from './defaults.js';
export { DEFAULT_JOURNAL };

export const ActionResult = z.object({
  ip: z.string(),
  jail: z.string().nullable(),
  /** planned (dry run), done, unchanged (was not banned / already banned), refused */
  outcome: z.enum(['planned', 'unbanned', 'not-banned', 'banned', 'already-banned', 'refused']),
  reason: z.string().optional(),
});
export type ActionResult = z.infer<typeof ActionResult>;

export const BanReport = z.object({
  action: z.enum(['unban', 'ban']),
  host: z.string(),
  socket: z.string(),
  dryRun: z.boolean(),
  results: z.array(ActionResult),
  /** what the auth log said about each address (unban only) */
  authLog: z.object({ read: z.boolean(), sources: z.array(z.string()), error: z.string().optional() }).optional(),
  journal: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type BanReport = z.infer<typeof BanReport>;

/** Every argument must be an IPv4 or IPv6 address; the first bad one stops everything. */
export function validateIps(args: string[]): string[] {
  if (args.length === 0) throw new UserError('give at least one IP address');
  const bad = args.filter((a) => isIP(a) === 0);
  if (bad.length > 0) throw new UserError(`not an IP address: ${bad.map((b) => JSON.stringify(b)).join(', ')}`, 'nothing was changed');
  return [...new Set(args)];
}

export function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === '::1' || /^::ffff:127\./i.test(ip) || /^0:0:0:0:0:0:0:1$/.test(ip);
}

/** Why unbanning this address is dangerous, from the auth log; null when it looks safe. */
export function unbanDanger(ip: string, r: AuthReport): string | null {
  const reasons: string[] = [];
  const logins = r.logins.filter((l) => l.ip === ip && l.failedBefore);
  if (logins.length > 0) {
    const l = logins[0]!;
    reasons.push(`it logged in as ${l.user} (${l.method}) at ${l.last} after ${l.failuresFromIp} failures${l.afterBruteForce ? ' — a brute force that succeeded' : ''}`);
  }
  const rank = r.topIps.findIndex((i) => i.ip === ip);
  if (rank >= 0) reasons.push(`it is #${rank + 1} of the top offenders (${r.topIps[rank]!.failures} failures, ${r.topIps[rank]!.distinctUsers} users)`);
  return reasons.length ? reasons.join('; ') : null;
}

export interface Operator {
  user: string;
  sudoUser?: string;
  sshClient?: string;
}

export function operator(): Operator {
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return { user, sudoUser: process.env.SUDO_USER, sshClient: process.env.SSH_CLIENT?.split(' ')[0] };
}

export function writeJournal(path: string, entry: Record<string, unknown>): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    appendFileSync(path, JSON.stringify(entry) + '\n', { mode: 0o600 });
  } catch (err) {
    throw new UserError(`cannot write the journal ${path}: ${(err as Error).message}`, 'use --journal-file');
  }
}

export interface PlanOptions {
  ips: string[];
  jail?: string;
  socket: string;
}

/** Unban: the jails where each address is banned (or --jail), from `fail2ban-client banned`. */
export async function planUnban(t: Target, o: PlanOptions): Promise<ActionResult[]> {
  const client = new Fail2banClient(t, o.socket);
  if (o.jail) {
    const jails = await client.jails();
    if (!jails.includes(o.jail)) throw new UserError(`no jail ${o.jail} (jails: ${jails.join(', ') || 'none'})`);
  }
  const banned = await client.jailsBanning(o.ips);
  const out: ActionResult[] = [];
  for (const ip of o.ips) {
    const jails = o.jail ? [o.jail] : (banned.get(ip) ?? []);
    if (jails.length === 0) out.push({ ip, jail: null, outcome: 'not-banned', reason: 'banned in no jail' });
    for (const jail of jails) {
      const isBanned = (banned.get(ip) ?? []).includes(jail);
      out.push(isBanned ? { ip, jail, outcome: 'planned' } : { ip, jail, outcome: 'not-banned', reason: `not banned in ${jail}` });
    }
  }
  return out;
}

export async function planBan(t: Target, o: PlanOptions & { jail: string; force: boolean; operatorIps: string[] }): Promise<ActionResult[]> {
  const client = new Fail2banClient(t, o.socket);
  const jails = await client.jails();
  if (!jails.includes(o.jail)) throw new UserError(`no jail ${o.jail} (jails: ${jails.join(', ') || 'none'})`);
  const banned = await client.jailsBanning(o.ips);
  return o.ips.map((ip): ActionResult => {
    if (!o.force && isLoopback(ip)) return { ip, jail: o.jail, outcome: 'refused', reason: 'a loopback address (use --force)' };
    if (!o.force && o.operatorIps.includes(ip)) return { ip, jail: o.jail, outcome: 'refused', reason: 'you are connected from this address (SSH_CLIENT): you would lock yourself out (use --force)' };
    if ((banned.get(ip) ?? []).includes(o.jail)) return { ip, jail: o.jail, outcome: 'already-banned' };
    return { ip, jail: o.jail, outcome: 'planned' };
  });
}

/** Carries out the planned items; the others are left as they are. */
export async function execute(t: Target, socket: string, action: 'unban' | 'ban', plan: ActionResult[]): Promise<ActionResult[]> {
  const client = new Fail2banClient(t, socket);
  const out: ActionResult[] = [];
  for (const r of plan) {
    if (r.outcome !== 'planned' || !r.jail) {
      out.push(r);
      continue;
    }
    if (action === 'unban') out.push({ ...r, outcome: (await client.unban(r.jail, r.ip)) ? 'unbanned' : 'not-banned' });
    else out.push({ ...r, outcome: (await client.ban(r.jail, r.ip)) ? 'banned' : 'already-banned' });
  }
  return out;
}

export function journalEntry(action: 'unban' | 'ban', host: string, results: ActionResult[], reason: string | undefined, force: boolean): Record<string, unknown> {
  return {
    time: utcNow(),
    action,
    operator: operator(),
    host,
    reason: reason ?? null,
    force,
    ips: [...new Set(results.map((r) => r.ip))].map((ip) => ({
      ip,
      jails: results.filter((r) => r.ip === ip && r.jail).map((r) => ({ jail: r.jail, outcome: r.outcome, reason: r.reason })),
    })),
  };
}
