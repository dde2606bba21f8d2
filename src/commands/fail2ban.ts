import { Args, Flags } from '@oclif/core';
import { DEFAULT_CONF_DIR, DEFAULT_SOCKET } from '../fail2ban/defaults.js';
import type { Fail2banStatus } from '../fail2ban/status.js';
import { fleetFlags, isFleet, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';
import { UserError } from '../core/errors.js';
import { progress } from '../output/progress.js';

export default class Fail2ban extends IrCommand {
  static override summary = 'Every fail2ban jail: failures, bans with their expiry, settings checked against the policy.';
  static override description = `Live: asks fail2ban-server over its socket (status, get JAIL banip --with-time, maxretry/findtime/bantime) and reads jail.conf, jail.local and jail.d/ for the filter, banaction and backend. Offline (--root) or when the server is down: the configuration files in fail2ban's override order, the bans in its sqlite database and the Ban/Unban history of fail2ban.log.

The configuration is read as fail2ban reads it; a file it cannot read (a malformed line, an option given twice, not UTF-8) is an error with its file and line, and no jail is called OK from it.

Exit codes: 0 every check passes, 1 a check fails (sshd jail missing, maxretry too high, short bantime, server down, a setting fail2ban ignores), 2 error (a configuration, socket, database or log that could not be read).`;

  static override examples = [
    { description: 'Every jail on this machine', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'The sshd jail of a server over SSH', command: '<%= config.bin %> <%= command.id %> status --jail sshd --host deploy@web1.example.com --sudo' },
    { description: 'An offline disk image: configuration, database, history', command: '<%= config.bin %> <%= command.id %> --root /mnt/evidence' },
  ];

  static override args = { action: Args.string({ description: 'status (the default)', options: ['status'], required: false }) };

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    jail: Flags.string({ char: 'j', summary: 'Only this jail.' }),
    socket: Flags.string({ summary: `fail2ban socket (default: the configuration's, else ${DEFAULT_SOCKET}).` }),
    'conf-dir': Flags.string({ summary: 'fail2ban configuration directory on the target.', default: DEFAULT_CONF_DIR }),
    db: Flags.string({ summary: 'fail2ban sqlite database on the target (offline; default: dbfile of fail2ban.conf).' }),
    log: Flags.string({ summary: 'fail2ban.log on the target, for the Ban/Unban history (default: logtarget of fail2ban.conf).' }),
    tz: Flags.string({ summary: 'Zone of the times fail2ban prints (its server’s local time).', default: 'UTC' }),
    policy: Flags.string({ summary: 'Policy file (YAML): fail2ban.maxretry, minBantime, minFindtime.' }),
  };

  async run(): Promise<Fail2banStatus | { hosts: FleetRow<Fail2banStatus>[] }> {
    const { flags } = await this.parse(Fail2ban);
    const [{ renderFail2banStatus }, { fail2banStatus, statusExitCode }, { runOnHosts }, { showHosts }, { parseUtcOffset }, { loadPolicy }] = await Promise.all([
      import('../output/fail2ban.js'),
      import('../fail2ban/status.js'),
      import('../host/fleet.js'),
      import('../output/fleet-table.js'),
      import('../logs/syslog-time.js'),
      import('../core/policy.js'),
    ]);
    const offset = parseUtcOffset(flags.tz);
    if (offset === null) throw new UserError(`--tz ${flags.tz}: expected an offset like +01:00 or UTC`);
    const policy = await loadPolicy(flags.policy);
    const fleet = isFleet(flags);
    const run = await runOnHosts(
      flags,
      async (target: Target) => {
        const spinner = progress(`asking fail2ban on ${target.name}…`, { json: this.jsonEnabled() || fleet });
        try {
          return await fail2banStatus(target, { socket: flags.socket, confDir: flags['conf-dir'], jail: flags.jail, policy, offsetMinutes: offset, db: flags.db, log: flags.log });
        } finally {
          spinner.stop();
        }
      },
      statusExitCode,
    );
    return showHosts({ log: (s) => this.log(s), json: this.jsonEnabled() }, run, {
      report: renderFail2banStatus,
      summary: (r) => `${r.jails.length} jails, ${r.jails.reduce((n, j) => n + j.currentlyBanned, 0)} banned${r.errors.length ? `, ${r.errors.length} errors` : ''}`,
    });
  }
}
