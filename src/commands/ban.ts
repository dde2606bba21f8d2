import { Flags } from '@oclif/core';
import type { BanReport } from '../fail2ban/actions.js';
import { DEFAULT_JOURNAL, DEFAULT_SOCKET } from '../fail2ban/defaults.js';
import { fleetFlags, isFleet, openTarget, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { isIP } from 'node:net';
import { IrCommand } from '../output/command.js';
import { EXIT_FINDINGS } from '../core/errors.js';

export default class Ban extends IrCommand {
  static override summary = 'Ban addresses that fail2ban missed, in one jail, with the same checks and journal as unban.';
  static override description = `Validates every argument as an IPv4 or IPv6 address (one bad argument: nothing is banned). Refuses to ban the address you are connected from (SSH_CLIENT, here and on the --host) or a loopback address unless --force. Every ban is recorded in the journal file.

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
    const [{ BanReport, execute, journalEntry, planBan, validateIps, writeJournal }, { confirmOrRefuse }, { renderBanReport }] = await Promise.all([
      import('../fail2ban/actions.js'),
      import('../core/confirm.js'),
      import('../output/fail2ban-actions.js'),
    ]);
    const ips = validateIps(argv as string[]);
    const fleet = isFleet(flags);

    /** One host: plan (never our own address), ask (one host only: a fleet was asked once up front), ban, journal. */
    const banOn = async (target: Target): Promise<BanReport> => {
      const operatorIps = [process.env.SSH_CLIENT?.split(' ')[0]].filter((x): x is string => Boolean(x));
      if (target.kind === 'ssh') {
        // the address the server sees us coming from
        const r = await target.exec(['printenv', 'SSH_CLIENT']).catch(() => null);
        const ip = r?.stdout.toString('utf8').trim().split(' ')[0];
        if (ip && isIP(ip)) operatorIps.push(ip);
      }
      const plan = await planBan(target, { ips, jail: flags.jail, socket: flags.socket, force: Boolean(flags.force), operatorIps });
      const todo = plan.filter((p) => p.outcome === 'planned');
      let results = plan;
      let journal: string | null = null;
      if (!flags['dry-run'] && todo.length > 0) {
        if (!fleet) await confirmOrRefuse({ yes: flags.yes, what: 'ban', questions: [`Ban ${todo.map((p) => p.ip).join(', ')} in ${flags.jail} on ${target.name}?`] });
        results = await execute(target, flags.socket, 'ban', plan);
        writeJournal(flags['journal-file'], journalEntry('ban', target.name, results, flags.reason, Boolean(flags.force)));
        journal = flags['journal-file'];
      }
      return BanReport.parse({ action: 'ban', host: target.name, socket: flags.socket, dryRun: Boolean(flags['dry-run']), results, journal, warnings: [] });
    };
    const refused = (r: BanReport) => r.results.some((x) => x.outcome === 'refused');

    if (fleet) {
      const [{ fleetHosts }, { runFleetCommand }] = await Promise.all([import('../host/fleet.js'), import('../output/fleet-table.js')]);
      const hosts = fleetHosts(flags);
      if (!flags['dry-run']) await confirmOrRefuse({ yes: flags.yes, what: 'ban', questions: [`Ban ${ips.join(', ')} in ${flags.jail} on ${hosts.length} hosts (${hosts.map((h) => h.label).join(', ')})?`] });
      return runFleetCommand({ log: (s) => this.log(s), json: this.jsonEnabled() }, flags, banOn, refused, {
        report: renderBanReport,
        summary: (r) => r.results.map((x) => `${x.ip}: ${x.outcome}`).join(', ') || 'nothing to do',
      });
    }
    const target = await openTarget(flags);
    let report: BanReport;
    try {
      report = await banOn(target);
    } finally {
      await target.close();
    }
    if (!this.jsonEnabled()) this.log(renderBanReport(report));
    if (refused(report)) process.exitCode = EXIT_FINDINGS;
    return report;
  }
}
