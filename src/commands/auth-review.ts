import { Args, Flags } from '@oclif/core';
import { DEFAULT_SOCKET } from '../fail2ban/defaults.js';
import { fleetFlags, isFleet, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import type { AuthReport } from '../logs/auth-report.js';
import { AUTH_REVIEW_DEFAULTS } from '../logs/defaults.js';
import { IrCommand } from '../output/command.js';
import { EXIT_ERROR, EXIT_FINDINGS, UserError } from '../core/errors.js';
import { progress } from '../output/progress.js';
import { SEVERITIES, severityRank, type Severity } from '../core/severity.js';

export default class AuthReview extends IrCommand {
  static override summary = 'Read the auth logs: who tried, who got in, brute force, spray, success after failures, sudo.';
  static override description = `Reads auth.log and its rotated siblings (auth.log.1, auth.log.2.gz…) or secure on RHEL-style hosts, stdin (-), files of journalctl -o json output, or the journal itself (--journal). Classic syslog, RFC 3339 and journald JSON lines; sshd and sshd-session, sudo, su, login, pam_unix (also its old "sshd(pam_unix)" spelling: the messages file of an old Red Hat), systemd-logind, useradd/usermod/passwd, CRON.

Classic syslog times carry no year and no zone: the year comes from the file's modification time, the zone from --tz (default UTC). Addresses are shown and compared in one spelling (--ip 2001:DB8::1 is 2001:db8::1); a host name PAM logged is kept as it is, never resolved.

Exit codes: 0 no alert at or above --fail-on, 1 alerts at or above it, 2 error: a log not read to its end (a truncated .gz, a cut journal) or whose sshd/PAM lines none were recognised; the report is still printed, the error at its top.`;

  static override examples = [
    { description: 'Review this machine (auth.log and rotations, or the journal)', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'The last day on a server over SSH', command: '<%= config.bin %> <%= command.id %> --host deploy@web1.example.com --sudo --since 24h' },
    { description: 'One address, with its last 50 raw lines as grep | tail shows them', command: '<%= config.bin %> <%= command.id %> --ip 203.0.113.9 --tail 50' },
    { description: 'A copied log and a journal export, timeline for Timesketch', command: '<%= config.bin %> <%= command.id %> auth.log.2.gz journal.json --timeline auth.jsonl' },
    { description: 'From a pipe', command: 'zcat auth.log.*.gz | <%= config.bin %> <%= command.id %> -' },
  ];

  static override strict = false;
  static override args = { file: Args.string({ description: 'Log files on the target (- for stdin); default: auth.log* and secure* in /var/log' }) };

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    journal: Flags.boolean({ summary: 'Also read the journal (journalctl -o json for sshd, sshd-session, sudo, su…).' }),
    since: Flags.string({ summary: 'Only events at or after this time: ISO 8601 (UTC unless a zone is given), @EPOCH, or 90m / 24h / 7d back.' }),
    until: Flags.string({ summary: 'Only events at or before this time (same forms as --since).' }),
    ip: Flags.string({ summary: 'Only events from this address.' }),
    user: Flags.string({ summary: 'Only events about this account.' }),
    tz: Flags.string({ summary: 'Zone of classic syslog times (+01:00, -0500, UTC).', default: 'UTC' }),
    tail: Flags.integer({ summary: 'Also print the last N raw lines matching failed|invalid (what a plain `grep | tail` shows).', default: 0, min: 0 }),
    timeline: Flags.string({ summary: 'Write every event as JSONL with Timesketch fields (message, datetime, timestamp_desc) to this local file.' }),
    'brute-threshold': Flags.integer({ summary: 'Failures from one address within --brute-window that make a brute force.', default: AUTH_REVIEW_DEFAULTS.bruteThreshold, min: 2 }),
    'brute-window': Flags.string({ summary: 'Window of the brute-force threshold (30s, 10m, 1h).', default: `${AUTH_REVIEW_DEFAULTS.bruteWindowMs / 60_000}m` }),
    'spray-users': Flags.integer({ summary: 'Distinct user names from one address that make a password spray.', default: AUTH_REVIEW_DEFAULTS.sprayUsers, min: 2 }),
    'distributed-ips': Flags.integer({ summary: 'Distinct addresses failing as one user that make a distributed attack.', default: AUTH_REVIEW_DEFAULTS.distributedIps, min: 2 }),
    top: Flags.integer({ summary: 'Rows in the top addresses and users tables.', default: AUTH_REVIEW_DEFAULTS.top, min: 1 }),
    'fail-on': Flags.string({ summary: 'Exit 1 when an alert is at or above this severity.', options: [...SEVERITIES], default: 'high' }),
    policy: Flags.string({ summary: 'Policy file (YAML): keys-only and root-login expectations. See docs/policy.md.' }),
    socket: Flags.string({ summary: 'fail2ban socket, to show which addresses are banned now.', default: DEFAULT_SOCKET }),
    'no-fail2ban': Flags.boolean({ summary: 'Do not ask fail2ban which addresses are banned.' }),
    threads: Flags.integer({ summary: 'Worker threads for large files (0: none; default: one per core, up to 4).', min: 0 }),
  };

  async run(): Promise<AuthReport | { hosts: FleetRow<AuthReport>[] }> {
    const { flags, argv } = await this.parse(AuthReview);
    const [{ Fail2banClient }, { showHosts }, { runOnHosts }, { renderAuthReport }, { reviewAuth }, { parseTimeArg, parseUtcOffset }, { loadPolicy }] = await Promise.all([
      import('../fail2ban/client.js'),
      import('../output/fleet-table.js'),
      import('../host/fleet.js'),
      import('../output/auth-review.js'),
      import('../logs/auth-review.js'),
      import('../logs/syslog-time.js'),
      import('../core/policy.js'),
    ]);
    const files = argv as string[];
    const time = (name: 'since' | 'until'): number | undefined => {
      const v = flags[name];
      if (v === undefined) return undefined;
      const t = parseTimeArg(v);
      if (t === null) throw new UserError(`--${name} ${v}: expected an ISO 8601 time, @EPOCH or a duration like 24h`);
      return t;
    };
    const since = time('since');
    const until = time('until');
    const offset = parseUtcOffset(flags.tz);
    if (offset === null) throw new UserError(`--tz ${flags.tz}: expected an offset like +01:00 or UTC`);
    const win = /^(\d+)\s*(s|m|h)$/.exec(flags['brute-window']);
    if (!win) throw new UserError(`--brute-window ${flags['brute-window']}: expected a duration like 30s, 10m or 1h`);
    const bruteWindowMs = Number(win[1]) * { s: 1e3, m: 6e4, h: 36e5 }[win[2] as 's' | 'm' | 'h'];
    if (files.filter((f) => f === '-').length > 1) throw new UserError('stdin (-) can be read once');
    const fleet = isFleet(flags);
    if (fleet && (files.includes('-') || flags.timeline)) throw new UserError('stdin (-) and --timeline take one host');
    const policy = await loadPolicy(flags.policy);
    const failOn = flags['fail-on'] as Severity;

    const review = async (target: Target): Promise<AuthReport> => {
      const f2b = new Fail2banClient(target, flags.socket);
      const spinner = progress(`reading the auth logs of ${target.name}`, { json: this.jsonEnabled() || fleet });
      try {
        return await reviewAuth(target, {
          files,
          journal: flags.journal,
          since,
          until,
          ip: flags.ip,
          user: flags.user,
          offsetMinutes: offset,
          bruteThreshold: flags['brute-threshold'],
          bruteWindowMs,
          sprayUsers: flags['spray-users'],
          distributedIps: flags['distributed-ips'],
          top: flags.top,
          tail: flags.tail,
          policy,
          timeline: flags.timeline,
          workers: flags.threads,
          banned:
            flags['no-fail2ban'] || !target.live
              ? undefined
              : async () => {
                  try {
                    return { banned: await f2b.allBanned() };
                  } catch (err) {
                    return { banned: null, error: (err as Error).message };
                  }
                },
          onProgress: (t) => spinner.update(t),
        });
      } finally {
        spinner.stop();
      }
    };
    // 2: an input not read to its end or not understood (the review is incomplete); 1: alerts at or above --fail-on
    const exitOf = (r: AuthReport) => (r.errors.length > 0 ? EXIT_ERROR : r.alerts.some((a) => severityRank(a.severity) >= severityRank(failOn)) ? EXIT_FINDINGS : 0);
    const run = await runOnHosts(flags, review, exitOf);
    return showHosts({ log: (s) => this.log(s), json: this.jsonEnabled() }, run, {
      report: (r) => renderAuthReport(r),
      summary: (r) => `${r.alerts.length} alerts, ${r.counts.failures} failed attempts from ${r.counts.attackingIps} addresses${r.errors.length ? `, ${r.errors.length} inputs incomplete` : ''}`,
    });
  }
}
