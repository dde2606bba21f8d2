import { z } from 'zod';
import type { Policy } from '../core/policy.js';
import { contentHash, Finding } from '../core/finding.js';
import { ALERTS, type LoginView } from './alerts/registry.js';
import { EVENT_KINDS } from './auth-event.js';
import { subnetFirstFailures, subnetOf, type AuthStats } from './auth-stats.js';

/** What `ir auth-review` returns (and `--json` prints): every human line is rendered from it. */

export const AuthSource = z.object({
  name: z.string(),
  format: z.enum(['syslog', 'journal-json']).optional(),
  compressed: z.boolean().optional(),
  bytes: z.number().int().optional(),
  lines: z.number().int().optional(),
  /** worker threads that parsed it (0: the main thread) */
  workers: z.number().int().optional(),
  /** lines without a syslog header or journal record */
  unparsed: z.number().int().optional(),
  /** lines of auth programs (sshd, sudo, su, login, PAM in the name) in the window, and of those the ones not recognised */
  authLines: z.number().int().optional(),
  authUnrecognised: z.number().int().optional(),
  /** failed attempts counted from its PAM lines, sshd having written none of its own there (an old Red Hat's `messages`) */
  pamFailures: z.number().int().optional(),
  /** why it was not read, or not to its end */
  error: z.string().optional(),
});
export type AuthSource = z.infer<typeof AuthSource>;

export const TopIp = z.object({
  ip: z.string(),
  failures: z.number().int(),
  invalidUsers: z.number().int(),
  distinctUsers: z.number().int(),
  users: z.array(z.string()),
  firstSeen: z.string(),
  lastSeen: z.string(),
  accepted: z.number().int(),
  maxAttemptsExceeded: z.number().int(),
  /** jails that ban it now; null when fail2ban could not be asked */
  bannedIn: z.array(z.string()).nullable(),
});

export const TopUser = z.object({
  user: z.string(),
  failures: z.number().int(),
  distinctIps: z.number().int(),
  invalid: z.boolean(),
  accepted: z.number().int(),
});

export const Login = z.object({
  user: z.string(),
  ip: z.string(),
  method: z.string(),
  count: z.number().int(),
  first: z.string(),
  last: z.string(),
  fingerprints: z.array(z.string()),
  /** the same address failed to log in before the last of these logins */
  failedBefore: z.boolean(),
  failuresFromIp: z.number().int(),
  /** another address of the same /24 (/64) failed before */
  subnetFailedBefore: z.boolean(),
  /** the address had crossed the brute-force threshold before logging in */
  afterBruteForce: z.boolean(),
  line: z.string(),
});

export const SudoUse = z.object({
  user: z.string(),
  count: z.number().int(),
  failures: z.number().int(),
  first: z.string(),
  last: z.string(),
  commands: z.array(z.object({ command: z.string(), count: z.number().int() })),
});

export const SuUse = z.object({ user: z.string(), targetUser: z.string(), count: z.number().int(), failures: z.number().int(), first: z.string(), last: z.string() });

export const AccountChangeOut = z.object({ time: z.string(), program: z.string(), user: z.string().optional(), detail: z.string() });

export const HistogramBucket = z.object({
  start: z.string(),
  failures: z.number().int(),
  accepted: z.number().int(),
  /** alert rules whose time falls in this bucket */
  alerts: z.array(z.string()),
});

export const AuthReport = z.object({
  host: z.string(),
  sources: z.array(AuthSource),
  window: z.object({ since: z.string().nullable(), until: z.string().nullable() }),
  filter: z.object({ ip: z.string().nullable(), user: z.string().nullable() }),
  /** classic syslog times carry no zone: the offset they were read in */
  assumedUtcOffset: z.string(),
  range: z.object({ first: z.string().nullable(), last: z.string().nullable() }),
  hosts: z.array(z.string()),
  counts: z.object({
    lines: z.number().int(),
    unparsed: z.number().int(),
    events: z.number().int(),
    outsideWindow: z.number().int(),
    failures: z.number().int(),
    invalidUsers: z.number().int(),
    accepted: z.number().int(),
    preauthDisconnects: z.number().int(),
    maxAttemptsExceeded: z.number().int(),
    sudo: z.number().int(),
    sudoFailures: z.number().int(),
    su: z.number().int(),
    accountChanges: z.number().int(),
    /** every source address seen (an address, or the host name PAM's rhost= gave) */
    distinctIps: z.number().int(),
    /** the addresses with at least one failed attempt */
    attackingIps: z.number().int(),
    /** lines of auth programs (sshd, sudo, su, login, PAM in the name) in the window; 0: "no auth lines", not an error */
    authLines: z.number().int(),
    /** of those, lines no pattern recognised (more than half: a warning; all: an error) */
    authUnrecognised: z.number().int(),
    byKind: z.record(z.string(), z.number().int()),
  }),
  thresholds: z.object({
    bruteForce: z.number().int(),
    windowSeconds: z.number().int(),
    sprayUsers: z.number().int(),
    distributedIps: z.number().int(),
  }),
  topIps: z.array(TopIp),
  topUsers: z.array(TopUser),
  logins: z.array(Login),
  sudo: z.array(SudoUse),
  su: z.array(SuUse),
  accountChanges: z.array(AccountChangeOut),
  histogram: z.object({ bucket: z.enum(['hour', 'day']), buckets: z.array(HistogramBucket) }),
  alerts: z.array(Finding),
  fail2ban: z.object({ asked: z.boolean(), error: z.string().optional() }),
  /** with --tail N: the last N lines a plain `grep -i 'failed\|invalid' | tail -N` would print */
  tail: z.array(z.string()).optional(),
  warnings: z.array(z.string()),
  /** inputs not read to their end (a truncated archive, a cut journal) or not understood: the review is incomplete, exit 2 */
  errors: z.array(z.string()),
});
export type AuthReport = z.infer<typeof AuthReport>;

export interface ReportContext {
  host: string;
  sources: AuthSource[];
  policy: Policy;
  since?: number;
  until?: number;
  ip?: string;
  user?: string;
  offset: string;
  bruteThreshold: number;
  bruteWindowMs: number;
  sprayUsers: number;
  distributedIps: number;
  top: number;
  tail: number;
  banned: Map<string, string[]> | null;
  fail2banError?: string;
  warnings: string[];
  errors: string[];
}

const iso = (t: number): string => new Date(t).toISOString();
const HOUR = 3_600_000;
const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

/** The report: the stats as tables, and every alert unit of ALERTS (alerts/registry.ts) run over them. */
export function buildReport(s: AuthStats, c: ReportContext): AuthReport {
  const thresholds = { bruteThreshold: c.bruteThreshold, bruteWindowMs: c.bruteWindowMs, sprayUsers: c.sprayUsers, distributedIps: c.distributedIps };
  const logins = loginViews(s);
  const input = { stats: s, logins, thresholds, policy: c.policy };
  const hits = ALERTS.flatMap((unit, order) => unit.run(input).map((hit) => ({ unit, order, hit })));
  hits.sort((a, b) => SEVERITY_ORDER.indexOf(a.unit.severity) - SEVERITY_ORDER.indexOf(b.unit.severity) || a.hit.time - b.hit.time || a.order - b.order);
  const alerts = hits.map(({ unit, hit }) =>
    Finding.parse({
      rule: unit.id,
      key: `auth-review:${unit.id}:${contentHash(hit.entry)}`,
      contentHash: contentHash(hit.evidence),
      detector: 'auth-review',
      category: 'authentication',
      severity: unit.severity,
      title: hit.title,
      host: c.host,
      user: hit.user,
      evidence: hit.evidence,
      attack: unit.attack,
      reason: hit.reason,
      remediation: hit.remediation,
      details: { ...hit.details, time: iso(hit.time) },
    }),
  );

  const byKind: Record<string, number> = {};
  for (const k of EVENT_KINDS) {
    const n = s.byKind.get(k);
    if (n) byKind[k] = n;
  }
  const k = (x: (typeof EVENT_KINDS)[number]): number => s.byKind.get(x) ?? 0;
  const attacking = [...s.ips.values()].filter((r) => r.failures > 0);
  const failures = attacking.reduce((n, r) => n + r.failures, 0);
  const topIps = attacking
    .sort((a, b) => b.failures - a.failures || a.ip.localeCompare(b.ip))
    .slice(0, c.top)
    .map((r) => ({
      ip: r.ip,
      failures: r.failures,
      invalidUsers: r.invalidUsers,
      distinctUsers: r.users.size + r.usersOverflow,
      users: [...r.users].slice(0, 10),
      firstSeen: iso(r.firstSeen),
      lastSeen: iso(r.lastSeen),
      accepted: r.accepted,
      maxAttemptsExceeded: r.maxAttempts,
      bannedIn: c.banned ? (c.banned.get(r.ip) ?? []) : null,
    }));
  const topUsers = [...s.users.values()]
    .filter((u) => u.failures > 0)
    .sort((a, b) => b.failures - a.failures || a.user.localeCompare(b.user))
    .slice(0, c.top)
    .map((u) => ({ user: u.user, failures: u.failures, distinctIps: u.ips.size + u.ipsOverflow, invalid: u.invalid, accepted: u.accepted }));

  return AuthReport.parse({
    host: c.host,
    sources: c.sources,
    window: { since: c.since !== undefined ? iso(c.since) : null, until: c.until !== undefined ? iso(c.until) : null },
    filter: { ip: c.ip ?? null, user: c.user ?? null },
    assumedUtcOffset: c.offset,
    range: { first: Number.isFinite(s.first) ? iso(s.first) : null, last: Number.isFinite(s.last) ? iso(s.last) : null },
    hosts: [...s.hosts],
    counts: {
      lines: s.lines,
      unparsed: s.unparsed,
      events: s.events,
      outsideWindow: s.filtered,
      failures,
      invalidUsers: k('ssh.invalid-user'),
      accepted: k('ssh.accepted'),
      preauthDisconnects: k('ssh.preauth-disconnect'),
      maxAttemptsExceeded: k('ssh.max-attempts'),
      sudo: k('sudo.command'),
      sudoFailures: k('sudo.failed'),
      su: k('su.session'),
      accountChanges: k('account.change'),
      distinctIps: s.ips.size,
      attackingIps: attacking.length,
      authLines: s.authLines,
      authUnrecognised: s.authUnknown,
      byKind,
    },
    thresholds: { bruteForce: c.bruteThreshold, windowSeconds: Math.round(c.bruteWindowMs / 1000), sprayUsers: c.sprayUsers, distributedIps: c.distributedIps },
    topIps,
    topUsers,
    logins: logins.map((l) => ({ ...l, first: iso(l.first), last: iso(l.last) })),
    sudo: [...s.sudo.values()]
      .sort((a, b) => a.first - b.first)
      .map((u) => ({
        user: u.user,
        count: u.count,
        failures: u.failures,
        first: iso(u.first),
        last: iso(u.last),
        commands: [...u.commands].sort((a, b) => b[1] - a[1]).map(([command, count]) => ({ command, count })),
      })),
    su: [...s.su.values()].map((x) => ({ ...x, first: iso(x.first), last: iso(x.last) })),
    accountChanges: s.accountChanges.map((a) => ({ time: iso(a.ts), program: a.program, user: a.user, detail: a.detail })),
    histogram: histogram(s, alerts),
    alerts,
    fail2ban: { asked: c.banned !== null, error: c.fail2banError },
    tail: c.tail > 0 ? s.tail.slice(-c.tail) : undefined,
    warnings: c.warnings,
    errors: c.errors,
  });
}

/** Every successful login (user, address, method) in time order, with what its address and /24 did before it. */
function loginViews(s: AuthStats): LoginView[] {
  const subnets = subnetFirstFailures(s);
  return [...s.logins.values()]
    .sort((a, b) => a.first - b.first)
    .map((l) => {
      const r = s.ips.get(l.ip);
      const net = subnetOf(l.ip);
      const netFirst = net ? subnets.get(net) : undefined;
      return {
        user: l.user,
        ip: l.ip,
        method: l.method,
        count: l.count,
        first: l.first,
        last: l.last,
        fingerprints: l.fingerprints,
        // `<=`: a failure logged in the same second as the login, before it in the file, is before it
        failedBefore: r !== undefined && r.failures > 0 && r.firstFail <= l.last,
        failuresFromIp: r?.failures ?? 0,
        subnetFailedBefore: netFirst !== undefined && netFirst <= l.last,
        afterBruteForce: r !== undefined && r.bruteAt <= l.last,
        line: l.line,
      };
    });
}

/** Failures and logins per hour, per day past 72 hours; alerts placed in the bucket of their time. */
function histogram(s: AuthStats, alerts: Finding[]): AuthReport['histogram'] {
  if (s.hours.size === 0) return { bucket: 'hour', buckets: [] };
  const hours = [...s.hours.keys()];
  const lo = Math.min(...hours);
  const hi = Math.max(...hours);
  const perDay = hi - lo + 1 > 72;
  const size = perDay ? 24 : 1;
  const start = perDay ? Math.floor(lo / 24) * 24 : lo;
  const n = Math.floor((hi - start) / size) + 1;
  const buckets = Array.from({ length: n }, (_, i) => ({ start: iso((start + i * size) * HOUR), failures: 0, accepted: 0, alerts: [] as string[] }));
  for (const [h, b] of s.hours) {
    const x = buckets[Math.floor((h - start) / size)]!;
    x.failures += b.failures;
    x.accepted += b.accepted;
  }
  for (const a of alerts) {
    const t = Date.parse(String(a.details?.time));
    const i = Math.floor((Math.floor(t / HOUR) - start) / size);
    const b = buckets[i];
    if (b && !b.alerts.includes(a.rule)) b.alerts.push(a.rule);
  }
  return { bucket: perDay ? 'day' : 'hour', buckets };
}
