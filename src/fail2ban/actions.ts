import { appendFileSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Target } from '../host/target.js';
import type { AuthReport } from '../logs/auth-report.js';
import { AUTH_REVIEW_DEFAULTS, reviewAuth } from '../logs/auth-review.js';
import { EXIT_FINDINGS, EXIT_OK, UserError } from '../core/errors.js';
import { canonicalIp, ipSpellingProblem, isLoopbackIp, sameIp } from '../core/ip.js';
import type { Policy } from '../core/policy.js';
import { utcNow } from '../core/time.js';
import { Fail2banClient } from './client.js';

/**
 * `ir unban` and `ir ban`, whole, so a playbook can run them in-process: validate every address
 * first (one bad argument: nothing changes), plan per jail, refuse the responder's own and loopback
 * addresses (ban) or an attacker who got in (unban, from the auth log), confirm, act through
 * fail2ban-client, and record every change in a JSONL journal. Every address is compared and sent
 * in its canonical spelling (core/ip.ts), the one fail2ban stores.
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

/**
 * Every argument must be one IPv4 or IPv6 address; the first bad one stops everything, with why
 * (`127.1` and `0177.0.0.1` are refused and say what other tools would read). The addresses come
 * back in canonical spelling, each once (`2001:DB8::7` and `2001:db8::7` are one address).
 */
export function validateIps(args: string[]): string[] {
  if (args.length === 0) throw new UserError('give at least one IP address');
  const bad = args.flatMap((a) => {
    const why = ipSpellingProblem(a) ?? (canonicalIp(a)!.includes('%') ? 'a zone index (%…) is no part of an address fail2ban can ban' : null);
    return why ? [`${JSON.stringify(a)} (${why})`] : [];
  });
  if (bad.length > 0) throw new UserError(`not an IP address: ${bad.join(', ')}`, 'nothing was changed');
  return [...new Set(args.map((a) => canonicalIp(a)!))];
}

/** Why unbanning this address is dangerous, from the auth log (addresses compared, not strings); null when it looks safe. */
export function unbanDanger(ip: string, r: AuthReport): string | null {
  const reasons: string[] = [];
  const logins = r.logins.filter((l) => sameIp(l.ip, ip) && l.failedBefore);
  if (logins.length > 0) {
    const l = logins[0]!;
    reasons.push(`it logged in as ${l.user} (${l.method}) at ${l.last} after ${l.failuresFromIp} failures${l.afterBruteForce ? ' — a brute force that succeeded' : ''}`);
  }
  const rank = r.topIps.findIndex((i) => sameIp(i.ip, ip));
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
  const client = process.env.SSH_CLIENT?.split(' ')[0];
  return { user, sudoUser: process.env.SUDO_USER, sshClient: client ? (canonicalIp(client) ?? client) : undefined };
}

/** An address the responder comes from, and how ir knows it. */
export interface OwnAddress {
  ip: string;
  source: string;
}

/**
 * Prints SSH_CLIENT / SSH_CONNECTION of the nearest process above this shell that has them: the
 * login session's. `sudo` (ir's --sudo on a host, or `sudo ir` here) clears them from the
 * environment it passes on, but not from the session's own processes (root may read their environ).
 */
const SESSION_ADDRESS_SH = `p=$$
while [ "$p" -gt 1 ] 2>/dev/null; do
  v=$(tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -E '^SSH_(CLIENT|CONNECTION)=')
  if [ -n "$v" ]; then printf '%s\\n' "$v"; exit 0; fi
  p=$(sed 's/.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f2)
done`;

/**
 * The addresses the responder is connected from, as the target itself knows them: this session's
 * SSH_CLIENT, and on a live target the SSH_CLIENT / SSH_CONNECTION of the login session ir runs in
 * there (over SSH: the address that server sees us coming from; here: the one this machine sees).
 * Banning one of them locks the responder out.
 */
export async function ownAddresses(t: Target): Promise<OwnAddress[]> {
  const out: OwnAddress[] = [];
  const add = (text: string | undefined, source: string) => {
    const ip = canonicalIp(text?.trim().split(/\s+/)[0] ?? '');
    if (ip && !out.some((o) => o.ip === ip)) out.push({ ip, source });
  };
  add(process.env.SSH_CLIENT, 'SSH_CLIENT of this session');
  add(process.env.SSH_CONNECTION, 'SSH_CONNECTION of this session');
  if (t.live) {
    const r = await t.exec(['sh', '-c', SESSION_ADDRESS_SH], { timeoutMs: 15_000 }).catch(() => null);
    for (const line of r?.stdout.toString('utf8').split('\n') ?? []) {
      const m = /^(SSH_CLIENT|SSH_CONNECTION)=(.*)$/.exec(line);
      if (m) add(m[2], `${m[1]} of the login session on ${t.name}`);
    }
  }
  return out;
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

export async function planBan(t: Target, o: PlanOptions & { jail: string; force: boolean; own: OwnAddress[] }): Promise<ActionResult[]> {
  const client = new Fail2banClient(t, o.socket);
  const jails = await client.jails();
  if (!jails.includes(o.jail)) throw new UserError(`no jail ${o.jail} (jails: ${jails.join(', ') || 'none'})`);
  const banned = await client.jailsBanning(o.ips);
  return o.ips.map((ip): ActionResult => {
    if (!o.force && isLoopbackIp(ip)) return { ip, jail: o.jail, outcome: 'refused', reason: 'a loopback address (use --force)' };
    const own = o.own.find((a) => sameIp(a.ip, ip));
    if (!o.force && own) return { ip, jail: o.jail, outcome: 'refused', reason: `you are connected from this address (${own.source}): you would lock yourself out (use --force)` };
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
    ips: [...new Set(results.map((r) => canonicalIp(r.ip) ?? r.ip))].map((ip) => ({
      ip,
      jails: results.filter((r) => sameIp(r.ip, ip) && r.jail).map((r) => ({ jail: r.jail, outcome: r.outcome, reason: r.reason })),
    })),
  };
}

/** What a changing run on one host needs besides the addresses. */
export interface ChangeOptions {
  /** canonical addresses (validateIps) */
  ips: string[];
  socket: string;
  dryRun: boolean;
  force: boolean;
  reason?: string;
  /** the JSONL journal, on the machine ir runs on */
  journalFile: string;
  /**
   * asks before this host is changed, with the exact plan (throws to refuse); absent when the caller
   * asked already (a fleet is asked once for every host, a playbook by its own confirmation)
   */
  confirm?: (question: string) => Promise<unknown>;
}

/** 1 when an address was refused, else 0 (errors throw). */
export function banExitCode(r: BanReport): number {
  return r.results.some((x) => x.outcome === 'refused') ? EXIT_FINDINGS : EXIT_OK;
}

/** Carries out a plan on one host: ask, act, journal; the report of what happened. */
async function carryOut(t: Target, action: 'ban' | 'unban', o: ChangeOptions, plan: ActionResult[], question: string, extra: Pick<BanReport, 'authLog' | 'warnings'>): Promise<BanReport> {
  let results = plan;
  let journal: string | null = null;
  if (!o.dryRun && plan.some((p) => p.outcome === 'planned')) {
    await o.confirm?.(question);
    results = await execute(t, o.socket, action, plan);
    writeJournal(o.journalFile, journalEntry(action, t.name, results, o.reason, o.force));
    journal = o.journalFile;
  }
  return BanReport.parse({ action, host: t.name, socket: o.socket, dryRun: o.dryRun, results, journal, ...extra });
}

/** `ir ban` on one host: plan (never the responder's own or a loopback address without force), ask, ban, journal. */
export async function banOnHost(t: Target, o: ChangeOptions & { jail: string }): Promise<BanReport> {
  const plan = await planBan(t, { ips: o.ips, jail: o.jail, socket: o.socket, force: o.force, own: await ownAddresses(t) });
  const todo = plan.filter((p) => p.outcome === 'planned');
  return carryOut(t, 'ban', o, plan, `Ban ${todo.map((p) => p.ip).join(', ')} in ${o.jail} on ${t.name}?`, { warnings: [] });
}

/**
 * `ir unban` on one host: the jails that ban each address (or `jail`), then the auth log (`authLogs`,
 * default the auth.log and secure files of /var/log): an address that logged in after failing or is a top
 * offender is refused unless `force`; then ask, unban, journal. An unreadable auth log is reported,
 * never a refusal.
 */
export async function unbanOnHost(t: Target, o: ChangeOptions & { jail?: string; authLogs: string[]; policy: Policy }): Promise<BanReport> {
  let plan = await planUnban(t, { ips: o.ips, jail: o.jail, socket: o.socket });
  const warnings: string[] = [];
  let authLog: BanReport['authLog'];
  if (plan.some((p) => p.outcome === 'planned')) {
    try {
      const r = await reviewAuth(t, { ...AUTH_REVIEW_DEFAULTS, files: o.authLogs, journal: false, offsetMinutes: 0, tail: 0, policy: o.policy });
      authLog = { read: true, sources: r.sources.filter((s) => !s.error).map((s) => s.name) };
      plan = plan.map((p) => {
        if (p.outcome !== 'planned') return p;
        const danger = unbanDanger(p.ip, r);
        if (!danger) return p;
        if (o.force) {
          warnings.push(`${p.ip}: unbanned despite: ${danger}`);
          return { ...p, reason: `forced: ${danger}` };
        }
        return { ...p, outcome: 'refused' as const, reason: danger };
      });
    } catch (err) {
      authLog = { read: false, sources: [], error: (err as Error).message };
    }
  }
  const todo = plan.filter((p) => p.outcome === 'planned');
  return carryOut(t, 'unban', o, plan, `Unban ${todo.map((p) => `${p.ip} from ${p.jail}`).join(', ')} on ${t.name}?`, { authLog, warnings });
}
