import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { fleetFlags, isFleet, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';
import { UserError } from '../core/errors.js';
import { progress } from '../output/progress.js';
import { SEVERITIES } from '../core/severity.js';
import { STATE_KINDS, type StateKind } from '../sweep/defaults.js';
import type { SweepReport } from '../sweep/sweep.js';
import type { InstallResult } from '../sweep/timer.js';

export default class Sweep extends IrCommand {
  static override summary = 'Run the hygiene checks of the hardening guide and the setup guide (SSH, fail2ban, firewall, updates, Docker, application host) and report drift from an accepted baseline.';
  static override description =
    'Exit 0 when nothing fails at or above --fail-on, 1 when a check fails (with --baseline: only new or changed results and state), 2 on error. A missing tool (ufw, docker, fail2ban) makes its checks "not applicable", never an error.';
  static override examples = [
    '<%= config.bin %> sweep',
    '<%= config.bin %> sweep --host deploy@203.0.113.10 --sudo --json',
    '<%= config.bin %> sweep --root /mnt/disk --only ssh,fail2ban,updates,app',
    '<%= config.bin %> sweep --save-baseline /var/lib/ir/sweep-baseline.json',
    '<%= config.bin %> sweep --baseline /var/lib/ir/sweep-baseline.json --fail-on medium',
    '<%= config.bin %> sweep --install-timer --baseline /var/lib/ir/sweep-baseline.json --dry-run',
  ];

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    policy: Flags.string({ summary: 'Policy file (allowed ports, ssh and fail2ban expectations).' }),
    only: Flags.string({ summary: 'Comma-separated areas (ssh, fail2ban, firewall, updates, docker, app, accounts) or check ids.' }),
    app: Flags.string({ summary: 'Application directory to check (besides those found from systemd units and Compose).', multiple: true }),
    'sshd-config': Flags.string({ summary: 'sshd_config to judge instead of those of the running sshd.', multiple: true }),
    'ssh-match': Flags.string({ summary: 'Extra connection spec for `sshd -T -C` (user=…,host=…,addr=…).', multiple: true }),
    'fail2ban-dir': Flags.string({ summary: 'fail2ban configuration directory (default /etc/fail2ban).' }),
    'fail-on': Flags.string({ summary: 'Lowest severity that makes the exit code 1.', options: [...SEVERITIES], default: 'low' }),
    baseline: Flags.string({ summary: 'Accepted state to compare with: only new and changed results count toward --fail-on.' }),
    'save-baseline': Flags.string({ summary: 'Write this sweep as the accepted state (mode 600).' }),
    state: Flags.string({ summary: `State kept for --baseline and --save-baseline, comma-separated: ${STATE_KINDS.join(', ')} (default all).` }),
    'out-dir': Flags.string({ summary: 'Also write the JSON report to DIR/HOST-TIME.json (what the timer uses).' }),
    verbose: Flags.boolean({ char: 'v', summary: 'Show passed checks too.' }),
    'install-timer': Flags.boolean({ summary: 'Write a systemd service and a daily timer that run this sweep (on this machine; with --host it sweeps over ssh).' }),
    'dry-run': Flags.boolean({ summary: 'With --install-timer: print the units, write nothing.', dependsOn: ['install-timer'] }),
    'unit-dir': Flags.string({ summary: 'With --install-timer: where to write the units (default /etc/systemd/system).', dependsOn: ['install-timer'] }),
    'on-calendar': Flags.string({ summary: 'With --install-timer: systemd OnCalendar= value (default daily).', dependsOn: ['install-timer'] }),
  };

  async run(): Promise<SweepReport | InstallResult | { hosts: FleetRow<SweepReport>[] }> {
    const { flags } = await this.parse(Sweep);
    if (flags['install-timer']) return this.installTimer(flags);
    const [{ showHosts }, { runOnHosts }, { loadPolicy }, { loadBaseline, makeBaseline, saveBaseline }, { renderSweep }, { runSweep }, { existingDir }] = await Promise.all([
      import('../output/fleet-table.js'),
      import('../host/fleet.js'),
      import('../core/policy.js'),
      import('../sweep/drift.js'),
      import('../output/sweep.js'),
      import('../sweep/sweep.js'),
      import('../core/dirs.js'),
    ]);
    if (flags['out-dir']) await existingDir('--out-dir', flags['out-dir']);
    const policy = await loadPolicy(flags.policy);
    const baseline = flags.baseline ? await loadBaseline(flags.baseline) : undefined;
    const stateKinds = parseStateKinds(flags.state);
    const sweep = (target: Target) =>
      runSweep(target, policy, {
        only: flags.only?.split(','),
        apps: flags.app?.map((a) => a.replace(/\/+$/, '') || '/'),
        sshdConfigs: flags['sshd-config'],
        sshMatch: flags['ssh-match'],
        fail2banDir: flags['fail2ban-dir'],
        failOn: flags['fail-on'] as SweepReport['failOn'],
        baseline,
        withState: Boolean(flags['save-baseline']),
        stateKinds,
      });
    if (isFleet(flags) && flags['save-baseline']) throw new UserError('--save-baseline takes one host', 'save each host\'s baseline with its own sweep');
    const fleet = isFleet(flags);
    const run = await runOnHosts(
      flags,
      async (t: Target) => {
        const spin = progress(`sweeping ${t.name}`, { json: flags.json || fleet });
        let report: SweepReport;
        try {
          report = await sweep(t);
        } finally {
          spin.stop();
        }
        // an incomplete state is never accepted: the baseline there stays as it was
        if (flags['save-baseline'] && !report.stateErrors?.length) await saveBaseline(flags['save-baseline'], makeBaseline(report.host, report.results, report.state ?? [], stateKinds));
        await this.keep(flags['out-dir'], report);
        return report;
      },
      (r) => r.exitCode,
    );
    return showHosts({ log: (s) => this.log(s), json: Boolean(flags.json) }, run, {
      report: (r) => renderSweep(r, { verbose: flags.verbose }),
      summary: (r) => `${r.results.filter((c) => c.status === 'fail').length} failed checks${r.errors.length ? `, ${r.errors.length} could not run` : ''}${r.stateErrors?.length ? ', state incomplete' : ''}`,
    });
  }

  /** --out-dir: the JSON report as HOST-TIME.json (what the timer keeps under /var/lib/ir/sweeps). */
  private async keep(dir: string | undefined, report: SweepReport): Promise<void> {
    if (!dir) return;
    const [{ compactUtc }, { toJson }] = await Promise.all([import('../core/time.js'), import('../core/escape.js')]);
    await fsp.writeFile(join(dir, `${report.host.replace(/[^A-Za-z0-9_.-]/g, '_')}-${compactUtc()}.json`), toJson(report) + '\n', { mode: 0o600 });
  }

  private async installTimer(flags: Record<string, unknown>): Promise<InstallResult> {
    if (flags['save-baseline']) throw new UserError('--install-timer takes --baseline, not --save-baseline', 'save the baseline first with a normal sweep');
    // the flags the timer's sweep keeps: target, policy, selection and baseline (paths made absolute)
    const keep: string[] = [];
    const abs = (v: string) => resolve(v);
    const add = (name: string, v: unknown, path = false) => {
      if (v === undefined || v === false) return;
      for (const x of Array.isArray(v) ? v : [v]) keep.push(`--${name}`, ...(x === true ? [] : [path ? abs(String(x)) : String(x)]));
    };
    add('host', flags.host);
    add('identity', flags.identity, true);
    add('known-hosts', flags['known-hosts'], true);
    add('ssh-config', flags['ssh-config'], true);
    add('sudo', flags.sudo);
    add('policy', flags.policy, true);
    add('only', flags.only);
    add('app', flags.app);
    add('sshd-config', flags['sshd-config']);
    add('ssh-match', flags['ssh-match']);
    add('fail2ban-dir', flags['fail2ban-dir']);
    add('fail-on', flags['fail-on']);
    add('baseline', flags.baseline, true);
    if (flags.root) throw new UserError('--install-timer sweeps a running host, not an offline --root');
    const host = (flags.host as string[] | undefined)?.[0];
    const { installTimer } = await import('../sweep/timer.js');
    const res = await installTimer(
      {
        irArgv: [process.execPath, resolve(process.argv[1] ?? 'bin/run.js')],
        sweepArgs: keep,
        hostLabel: host ?? 'local',
        outDir: (flags['out-dir'] as string | undefined) ?? '/var/lib/ir/sweeps',
        unitDir: flags['unit-dir'] as string | undefined,
        onCalendar: flags['on-calendar'] as string | undefined,
      },
      Boolean(flags['dry-run']),
    );
    if (!flags.json) {
      for (const u of res.units) this.log(`# ${u.path}\n${u.content}`);
      this.log(res.note);
    }
    return res;
  }
}

/** `--state port,unit` → the kinds; an unknown one is a clear error. */
function parseStateKinds(text: string | undefined): StateKind[] | undefined {
  if (text === undefined) return undefined;
  const kinds = text.split(',').map((k) => k.trim()).filter(Boolean);
  const bad = kinds.find((k) => !(STATE_KINDS as readonly string[]).includes(k));
  if (bad !== undefined) throw new UserError(`--state: unknown kind ${bad}`, `one or more of ${STATE_KINDS.join(', ')}`);
  return kinds as StateKind[];
}
