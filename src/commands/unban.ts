import { Flags } from '@oclif/core';
import type { BanReport } from '../fail2ban/actions.js';
import { DEFAULT_JOURNAL, DEFAULT_SOCKET } from '../fail2ban/defaults.js';
import { fleetFlags, isFleet, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';

export default class Unban extends IrCommand {
  static override summary = 'Unban addresses from fail2ban, after checking the auth log that they are not an attacker who got in.';
  static override description = `Validates every argument as an IPv4 or IPv6 address (one bad argument: nothing is unbanned; 127.1 or 0177.0.0.1 are refused) and uses the canonical spelling fail2ban stores (fail2ban's own unbanip misses a ban given as 2001:DB8::7), finds the jails that ban each address (or --jail), and reports per jail: unbanned, or was not banned.

Before unbanning, the auth log is read: an address that logged in after failing, or that is among the top offenders, is refused unless --force. Every unban is recorded (who, when, address, jails, reason) in the journal file.

Exit codes: 0 done, 1 an address was refused, 2 error.`;

  static override examples = [
    { description: 'Unban a colleague locked out by fail2ban, with a reason for the journal', command: '<%= config.bin %> <%= command.id %> 198.51.100.7 --reason "office NAT, ticket 42"' },
    { description: 'See the plan first', command: '<%= config.bin %> <%= command.id %> 198.51.100.7 2001:db8::7 --dry-run' },
    { description: 'Only from one jail, on a server over SSH, without a prompt', command: '<%= config.bin %> <%= command.id %> 198.51.100.7 --jail sshd --host deploy@web1.example.com --sudo --yes' },
  ];

  static override strict = false;

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    jail: Flags.string({ char: 'j', summary: 'Only this jail (default: every jail that bans the address).' }),
    socket: Flags.string({ summary: 'fail2ban socket on the target.', default: DEFAULT_SOCKET }),
    'dry-run': Flags.boolean({ summary: 'Print the plan, change nothing.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask (needed without a terminal).' }),
    reason: Flags.string({ summary: 'Why, for the journal.' }),
    force: Flags.boolean({ summary: 'Unban even an address that logged in after failures or is a top offender.' }),
    'auth-log': Flags.string({ summary: 'Auth log(s) on the target to check (default: auth.log* / secure* in /var/log).', multiple: true }),
    'journal-file': Flags.string({ summary: 'Where every unban is recorded (on the machine ir runs on).', default: DEFAULT_JOURNAL }),
  };

  async run(): Promise<BanReport | { hosts: FleetRow<BanReport>[] }> {
    const { flags, argv } = await this.parse(Unban);
    const [{ banExitCode, unbanOnHost, validateIps }, { confirmOrRefuse }, { renderBanReport }, { fleetHosts, runOnHosts }, { showHosts }, { loadPolicy }] = await Promise.all([
      import('../fail2ban/actions.js'),
      import('../core/confirm.js'),
      import('../output/fail2ban-actions.js'),
      import('../host/fleet.js'),
      import('../output/fleet-table.js'),
      import('../core/policy.js'),
    ]);
    const ips = validateIps(argv as string[]);
    const fleet = isFleet(flags);
    // a fleet is asked once, up front, before any host is touched; one host is asked with its own plan
    if (fleet && !flags['dry-run']) {
      const hosts = fleetHosts(flags);
      await confirmOrRefuse({ yes: flags.yes, what: 'unban', questions: [`Unban ${ips.join(', ')}${flags.jail ? ` from ${flags.jail}` : ''} on ${hosts.length} hosts (${hosts.map((h) => h.label).join(', ')}), each after its own auth-log check?`] });
    }
    const policy = await loadPolicy();
    const confirm = fleet ? undefined : (question: string) => confirmOrRefuse({ yes: flags.yes, what: 'unban', questions: [question] });
    const run = await runOnHosts(
      flags,
      (target: Target) =>
        unbanOnHost(target, { ips, jail: flags.jail, socket: flags.socket, dryRun: Boolean(flags['dry-run']), force: Boolean(flags.force), reason: flags.reason, journalFile: flags['journal-file'], authLogs: flags['auth-log'] ?? [], policy, confirm }),
      banExitCode,
    );
    return showHosts({ log: (s) => this.log(s), json: this.jsonEnabled() }, run, {
      report: renderBanReport,
      summary: (r) => r.results.map((x) => `${x.ip}${x.jail ? `@${x.jail}` : ''}: ${x.outcome}`).join(', ') || 'nothing to do',
    });
  }
}
