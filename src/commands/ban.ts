import { Flags } from '@oclif/core';
import type { BanReport } from '../fail2ban/actions.js';
import { DEFAULT_JOURNAL, DEFAULT_SOCKET } from '../fail2ban/defaults.js';
import { fleetFlags, isFleet, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';

export default class Ban extends IrCommand {
  static override summary = 'Ban addresses that fail2ban missed, in one jail, with the same checks and journal as unban.';
  static override description = `Validates every argument as an IPv4 or IPv6 address (one bad argument: nothing is banned; spellings such as 127.1 or 0177.0.0.1, which other tools read differently, are refused) and bans it in the canonical spelling fail2ban stores (2001:DB8::7 as 2001:db8::7). Refuses to ban the address you are connected from (SSH_CLIENT, here and on the --host) or a loopback address (127.0.0.0/8 and ::1, however written) unless --force. Every ban is recorded in the journal file.

Exit codes: 0 done, 1 an address was refused, 2 error.`;

  static override examples = [
    { description: 'Ban the address that got in after a brute force', command: '<%= config.bin %> <%= command.id %> 203.0.113.50 --jail sshd --reason "success after brute force, case 7"' },
    { description: 'Plan only', command: '<%= config.bin %> <%= command.id %> 203.0.113.50 2001:db8:bad::1 --jail sshd --dry-run' },
  ];

  static override strict = false;

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    jail: Flags.string({ char: 'j', summary: 'The jail to ban in.', required: true }),
    socket: Flags.string({ summary: 'fail2ban socket on the target.', default: DEFAULT_SOCKET }),
    'dry-run': Flags.boolean({ summary: 'Print the plan, change nothing.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask (needed without a terminal).' }),
    reason: Flags.string({ summary: 'Why, for the journal.' }),
    force: Flags.boolean({ summary: 'Ban even your own (SSH_CLIENT) or a loopback address.' }),
    'journal-file': Flags.string({ summary: 'Where every ban is recorded (on the machine ir runs on).', default: DEFAULT_JOURNAL }),
  };

  async run(): Promise<BanReport | { hosts: FleetRow<BanReport>[] }> {
    const { flags, argv } = await this.parse(Ban);
    const [{ banExitCode, banOnHost, validateIps }, { confirmOrRefuse }, { renderBanReport }, { fleetHosts, runOnHosts }, { showHosts }] = await Promise.all([
      import('../fail2ban/actions.js'),
      import('../core/confirm.js'),
      import('../output/fail2ban-actions.js'),
      import('../host/fleet.js'),
      import('../output/fleet-table.js'),
    ]);
    const ips = validateIps(argv as string[]);
    const fleet = isFleet(flags);
    // a fleet is asked once, up front, before any host is touched; one host is asked with its own plan
    if (fleet && !flags['dry-run']) {
      const hosts = fleetHosts(flags);
      await confirmOrRefuse({ yes: flags.yes, what: 'ban', questions: [`Ban ${ips.join(', ')} in ${flags.jail} on ${hosts.length} hosts (${hosts.map((h) => h.label).join(', ')})?`] });
    }
    const confirm = fleet ? undefined : (question: string) => confirmOrRefuse({ yes: flags.yes, what: 'ban', questions: [question] });
    const run = await runOnHosts(
      flags,
      (target: Target) => banOnHost(target, { ips, jail: flags.jail, socket: flags.socket, dryRun: Boolean(flags['dry-run']), force: Boolean(flags.force), reason: flags.reason, journalFile: flags['journal-file'], confirm }),
      banExitCode,
    );
    return showHosts({ log: (s) => this.log(s), json: this.jsonEnabled() }, run, {
      report: renderBanReport,
      summary: (r) => r.results.map((x) => `${x.ip}: ${x.outcome}`).join(', ') || 'nothing to do',
    });
  }
}
