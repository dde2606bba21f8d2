import { z } from 'zod';
import type { Policy } from '../core/policy.js';
import { contentHash, Finding, type Severity } from '../core/finding.js';
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
    distinctIps: z.number().int(),
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
  /** with --tail N: the last N lines the seed's `grep -i 'failed\|invalid'` would print */
  tail: z.array(z.string()).optional(),
  warnings: z.array(z.string()),
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
}

const iso = (t: number): string => new Date(t).toISOString();
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** accounts that exist on every system: a new sudoer among them is still reported, but they are not "invalid" */
const BASELINE_MS = DAY;

export function buildReport(s: AuthStats, c: ReportContext): AuthReport {
  const alerts: Finding[] = [];
  const alert = (a: { rule: string; severity: Severity; title: string; entry: string; evidence: string; reason: string; attack?: string; user?: string; time: number; details: Record<string, unknown>; remediation?: string }): void => {
    alerts.push(
      Finding.parse({
        rule: a.rule,
        key: `auth-review:${a.rule}:${contentHash(a.entry)}`,
        contentHash: contentHash(a.evidence),
        detector: 'auth-review',
        category: 'authentication',
        severity: a.severity,
        title: a.title,
        host: c.host,
        user: a.user,
        evidence: a.evidence,
        attack: a.attack,
        reason: a.reason,
        remediation: a.remediation,
        details: { ...a.details, time: iso(a.time) },
      }),
    );
  };
  const window = `${c.bruteThreshold} failures within ${Math.round(c.bruteWindowMs / 1000)} s`;
  const ips = [...s.ips.values()];
  for (const r of ips) {
    if (r.bruteAt !== Infinity) {
      alert({
        rule: 'auth.brute-force',
        severity: 'medium',
        title: `brute force from ${r.ip}: ${r.failures} failures, ${r.users.size + r.usersOverflow} users`,
        entry: r.ip,
        evidence: r.bruteLine ?? r.sampleLine ?? '',
        reason: `${window} (first at ${iso(r.bruteAt)})`,
        attack: 'T1110.001',
        time: r.bruteAt,
        details: { ip: r.ip, failures: r.failures, firstSeen: iso(r.firstFail), lastSeen: iso(r.lastFail) },
        remediation: `ir ban ${r.ip} --jail sshd`,
      });
    }
    const nUsers = r.users.size + r.usersOverflow;
    if (nUsers >= c.sprayUsers) {
      alert({
        rule: 'auth.password-spray',
        severity: 'medium',
        title: `password spray from ${r.ip}: ${nUsers} user names tried`,
        entry: r.ip,
        evidence: r.sampleLine ?? '',
        reason: `one address tried ${nUsers} distinct users (threshold ${c.sprayUsers})`,
        attack: 'T1110.003',
        time: r.firstFail,
        details: { ip: r.ip, users: [...r.users].slice(0, 20), failures: r.failures },
      });
    }
  }
  for (const u of s.users.values()) {
    const n = u.ips.size + u.ipsOverflow;
    if (n >= c.distributedIps) {
      alert({
        rule: 'auth.distributed-attack',
        severity: 'medium',
        title: `distributed attack on ${JSON.stringify(u.user)}: ${n} addresses`,
        entry: u.user,
        user: u.user,
        evidence: `${u.failures} failures for user ${u.user} from ${n} addresses`,
        reason: `${n} distinct addresses failed as one user (threshold ${c.distributedIps})`,
        attack: 'T1110',
        time: u.firstFail,
        details: { user: u.user, failures: u.failures, ips: n, sample: [...u.ips].slice(0, 10) },
      });
    }
  }

  const subnets = subnetFirstFailures(s);
  const logins = [...s.logins.values()].sort((a, b) => a.first - b.first);
  const loginsOut = logins.map((l) => {
    const r = s.ips.get(l.ip);
    const net = subnetOf(l.ip);
    const netFirst = net ? subnets.get(net) : undefined;
    // `<=`: a failure logged in the same second as the login, before it in the file, is before it
    const failedBefore = r !== undefined && r.failures > 0 && r.firstFail <= l.last;
    const afterBruteForce = r !== undefined && r.bruteAt <= l.last;
    return {
      user: l.user,
      ip: l.ip,
      method: l.method,
      count: l.count,
      first: iso(l.first),
      last: iso(l.last),
      fingerprints: l.fingerprints,
      failedBefore,
      failuresFromIp: r?.failures ?? 0,
      subnetFailedBefore: netFirst !== undefined && netFirst <= l.last,
      afterBruteForce,
      line: l.line,
    };
  });
  for (const [i, l] of loginsOut.entries()) {
    const raw = logins[i]!;
    if (l.afterBruteForce) {
      alert({
        rule: 'auth.success-after-brute-force',
        severity: 'critical',
        title: `${l.user} logged in from ${l.ip} (${l.method}) after a brute force from that address`,
        entry: `${l.user}@${l.ip}`,
        user: l.user,
        evidence: l.line,
        reason: `${l.ip} made ${l.failuresFromIp} failed attempts (${window}) and then logged in: assume the account is compromised`,
        attack: 'T1110',
        time: raw.last,
        details: { ip: l.ip, method: l.method, logins: l.count, first: l.first, last: l.last, fingerprints: l.fingerprints },
        remediation: `lock the account, kill its sessions, keep the logs: ir collect; then ir ban ${l.ip} --jail sshd`,
      });
    }
    if (l.user === 'root') {
      const allowed = c.policy.ssh.permitRootLogin;
      const keyOk = /^(prohibit-password|without-password)$/.test(allowed) && l.method === 'publickey';
      if (allowed !== 'yes' && !keyOk) {
        alert({
          rule: 'auth.root-login',
          severity: 'high',
          title: `root logged in over ssh from ${l.ip} (${l.method}), ${l.count}×`,
          entry: `${l.ip}:${l.method}`,
          user: 'root',
          evidence: l.line,
          reason: `policy ssh.permitRootLogin is ${allowed}`,
          attack: 'T1078.003',
          time: raw.first,
          details: { ip: l.ip, method: l.method, logins: l.count, first: l.first, last: l.last },
          remediation: 'PermitRootLogin no in sshd_config; log in as a user and use sudo',
        });
      }
    }
    if (!c.policy.ssh.passwordAuthentication && (l.method === 'password' || l.method.startsWith('keyboard-interactive'))) {
      alert({
        rule: 'auth.password-login',
        severity: 'high',
        title: `${l.user} logged in with a password from ${l.ip} while policy says keys only`,
        entry: `${l.user}@${l.ip}:${l.method}`,
        user: l.user,
        evidence: l.line,
        reason: 'policy ssh.passwordAuthentication is false, yet sshd accepted a password: sshd_config drifted or was changed',
        attack: 'T1078',
        time: raw.first,
        details: { ip: l.ip, method: l.method, logins: l.count, first: l.first, last: l.last },
        remediation: 'PasswordAuthentication no (and KbdInteractiveAuthentication no) in sshd_config, then ir sweep',
      });
    }
  }
  for (const u of s.sudo.values()) {
    if (u.count === 0 || s.sudoBefore.has(u.user)) continue;
    if (u.first - s.dataStart < BASELINE_MS) continue;
    alert({
      rule: 'auth.new-sudo-user',
      severity: 'medium',
      title: `${u.user} ran sudo for the first time in the logs`,
      entry: u.user,
      user: u.user,
      evidence: u.firstLine,
      reason: `no sudo by ${u.user} in the ${Math.floor((u.first - s.dataStart) / HOUR)} h of logs before ${iso(u.first)}`,
      attack: 'T1548.003',
      time: u.first,
      details: { user: u.user, count: u.count, commands: [...u.commands.keys()].slice(0, 10) },
    });
  }

  const sevOrder = ['critical', 'high', 'medium', 'low', 'info'];
  alerts.sort((a, b) => sevOrder.indexOf(a.severity) - sevOrder.indexOf(b.severity) || String(a.details?.time).localeCompare(String(b.details?.time)));

  const byKind: Record<string, number> = {};
  for (const k of EVENT_KINDS) {
    const n = s.byKind.get(k);
    if (n) byKind[k] = n;
  }
  const k = (x: (typeof EVENT_KINDS)[number]): number => s.byKind.get(x) ?? 0;
  const failures = ips.reduce((n, r) => n + r.failures, 0);
  const topIps = ips
    .filter((r) => r.failures > 0)
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
      byKind,
    },
    thresholds: { bruteForce: c.bruteThreshold, windowSeconds: Math.round(c.bruteWindowMs / 1000), sprayUsers: c.sprayUsers, distributedIps: c.distributedIps },
    topIps,
    topUsers,
    logins: loginsOut,
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
