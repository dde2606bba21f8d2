import { Flags } from '@oclif/core';
import type { BanReport } from '../fail2ban/actions.js';
import { DEFAULT_JOURNAL, DEFAULT_SOCKET } from '../fail2ban/defaults.js';
import { fleetFlags, isFleet, openTarget, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';
import { AUTH_REVIEW_DEFAULTS } from '../logs/defaults.js';
import { EXIT_FINDINGS } from '../core/errors.js';

export default class Unban extends IrCommand {
  static override summary = 'Unban addresses from fail2ban, after checking the auth log that they are not an attacker who got in.';
  static override description = `Validates every argument as an IPv4 or IPv6 address (one bad argument: nothing is unbanned), finds the jails that ban each address (or --jail), and reports per jail: unbanned, or was not banned.

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
    const [{ BanReport, execute, journalEntry, planUnban, unbanDanger, validateIps, writeJournal }, { confirmOrRefuse }, { renderBanReport }, { reviewAuth }, { loadPolicy }] = await Promise.all([
      import('../fail2ban/actions.js'),
      import('../core/confirm.js'),
      import('../output/fail2ban-actions.js'),
      import('../logs/auth-review.js'),
      import('../core/policy.js'),
    ]);
    const ips = validateIps(argv as string[]);
    const fleet = isFleet(flags);

    /** One host: plan, check the auth log, ask (one host only: a fleet was asked once up front), unban, journal. */
    const unbanOn = async (target: Target): Promise<BanReport> => {
      let plan = await planUnban(target, { ips, jail: flags.jail, socket: flags.socket });
      const warnings: string[] = [];
      let authLog: BanReport['authLog'];
      if (plan.some((p) => p.outcome === 'planned')) {
        try {
          const r = await reviewAuth(target, { ...AUTH_REVIEW_DEFAULTS, files: flags['auth-log'] ?? [], journal: false, offsetMinutes: 0, tail: 0, policy: await loadPolicy() });
          authLog = { read: true, sources: r.sources.filter((s) => !s.error).map((s) => s.name) };
          plan = plan.map((p) => {
            if (p.outcome !== 'planned') return p;
            const danger = unbanDanger(p.ip, r);
            if (!danger) return p;
            if (flags.force) {
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
      let results = plan;
      let journal: string | null = null;
      if (!flags['dry-run'] && todo.length > 0) {
        if (!fleet) await confirmOrRefuse({ yes: flags.yes, what: 'unban', questions: [`Unban ${todo.map((p) => `${p.ip} from ${p.jail}`).join(', ')} on ${target.name}?`] });
        results = await execute(target, flags.socket, 'unban', plan);
        writeJournal(flags['journal-file'], journalEntry('unban', target.name, results, flags.reason, Boolean(flags.force)));
        journal = flags['journal-file'];
      }
      return BanReport.parse({ action: 'unban', host: target.name, socket: flags.socket, dryRun: Boolean(flags['dry-run']), results, authLog, journal, warnings });
    };
    const refused = (r: BanReport) => r.results.some((x) => x.outcome === 'refused');

    if (fleet) {
      const [{ fleetHosts }, { runFleetCommand }] = await Promise.all([import('../host/fleet.js'), import('../output/fleet-table.js')]);
      const hosts = fleetHosts(flags);
      if (!flags['dry-run']) await confirmOrRefuse({ yes: flags.yes, what: 'unban', questions: [`Unban ${ips.join(', ')}${flags.jail ? ` from ${flags.jail}` : ''} on ${hosts.length} hosts (${hosts.map((h) => h.label).join(', ')}), each after its own auth-log check?`] });
      return runFleetCommand({ log: (s) => this.log(s), json: this.jsonEnabled() }, flags, unbanOn, refused, {
        report: renderBanReport,
        summary: (r) => r.results.map((x) => `${x.ip}${x.jail ? `@${x.jail}` : ''}: ${x.outcome}`).join(', ') || 'nothing to do',
      });
    }
    const target = await openTarget(flags);
    let report: BanReport;
    try {
      report = await unbanOn(target);
    } finally {
      await target.close();
    }
    if (!this.jsonEnabled()) this.log(renderBanReport(report));
    if (refused(report)) process.exitCode = EXIT_FINDINGS;
    return report;
  }
}
