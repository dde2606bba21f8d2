import { Flags } from '@oclif/core';
import { join } from 'node:path';
import { fleetFlags, isFleet, openTarget, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';
import { UserError } from '../core/errors.js';
import { progress } from '../output/progress.js';
import { hostNetworkFlags } from '../isolate/host/flags.js';
import type { HostNetworkCommandResult } from '../isolate/host/run.js';
import { MODE_KEEPS, MODES, type Mode } from '../isolate/modes.js';
import type { IsolateResult } from '../isolate/schema.js';
import { setExitCode } from '../core/step.js';

export default class Isolate extends IrCommand {
  static override summary = 'Take a compromised Compose project (or the whole host) off the network, evidence first.';
  static override description = `Snapshots every container of the project (logs with timestamps, inspect, diff, top, stats, networks, tmpfs) into the case directory, cuts it off (pause, network, stop), copies each container's writable layer into the snapshot, and only then removes anything (down); then proves that it acted (self-test; exit 1 when it did not). \`ir restore --case DIR\` undoes exactly what the journal isolation.json records.

Modes, and what each keeps:
  pause    (default) ${MODE_KEEPS.pause}
  network  ${MODE_KEEPS.network}
  stop     ${MODE_KEEPS.stop}
  down     ${MODE_KEEPS.down}

--host-network contains the host itself instead: an nftables table drops all traffic except SSH from the responder (SSH_CLIENT or --allow) and established sessions; a detached watchdog reverts it after --confirm-within unless \`ir isolate --confirm --case DIR\` arrives over a new connection.`;

  static override examples = [
    '<%= config.bin %> isolate --project shop --mode network --dry-run',
    '<%= config.bin %> isolate -f /srv/shop/compose.yaml --mode stop --yes',
    '<%= config.bin %> isolate --host web1 --sudo --project shop --mode pause',
    '<%= config.bin %> isolate --host web1 --sudo --host-network --confirm-within 5m --lock-user www-data',
    '<%= config.bin %> isolate --host web1 --sudo --confirm --case cases/web1-20261128T180455Z',
  ];

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    project: Flags.string({ char: 'p', summary: 'Compose project name (from the containers\' com.docker.compose.project label).', exclusive: ['file', 'dir'] }),
    file: Flags.string({ char: 'f', summary: 'A compose file of the project (matched against com.docker.compose.project.config_files).', exclusive: ['project', 'dir'] }),
    dir: Flags.string({ summary: 'The project\'s working directory (com.docker.compose.project.working_dir).', exclusive: ['project', 'file'] }),
    mode: Flags.string({ char: 'm', summary: 'How to isolate: pause, network, stop or down (see above for what each keeps).', options: [...MODES], default: 'pause' }),
    case: Flags.string({ summary: 'Case directory for the snapshot and journal (default cases/<project>-<UTC timestamp>/).' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan and change nothing.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask (needed without a terminal).' }),
    snapshot: Flags.boolean({ summary: 'Snapshot before acting; --no-snapshot skips it and asks twice.', allowNo: true, default: true }),
    'layer-max-file-size': Flags.string({ summary: "Store at most this much of one file of a container's writable layer (cut recorded).", default: '256M' }),
    'layer-max-total': Flags.string({ summary: "Store at most this much of each container's writable layer (skips recorded).", default: '2G' }),
    ...hostNetworkFlags,
  };

  async run(): Promise<IsolateResult | HostNetworkCommandResult | { case: string; hosts: FleetRow<IsolateResult | HostNetworkCommandResult>[] }> {
    const { flags } = await this.parse(Isolate);
    const [{ confirmOrRefuse }, { isolateProject }, { renderIsolateResult, renderPlan }, { runHostNetwork }, hostView] = await Promise.all([
      import('../core/confirm.js'),
      import('../isolate/isolate.js'),
      import('../output/isolate.js'),
      import('../isolate/host/run.js'),
      import('../output/isolate-host.js'),
    ]);
    const hostNetwork = Boolean(flags['host-network'] || flags.confirm);
    const { parseSize } = await import('../collect/options.js');
    const layerLimits = { maxFile: parseSize(flags['layer-max-file-size'], '--layer-max-file-size'), maxContainer: parseSize(flags['layer-max-total'], '--layer-max-total') };

    /** One host. `caseDir` and `ask` differ on a fleet: a directory per host, and one question up front. */
    const isolateOn = async (target: Target, o: { caseDir?: string; ask: boolean; log: (s: string) => void; hostSpec?: string }): Promise<IsolateResult | HostNetworkCommandResult> => {
      if (hostNetwork) {
        const f = { ...flags, case: o.caseDir, yes: flags.yes || !o.ask, host: o.hostSpec ? [o.hostSpec] : flags.host };
        return runHostNetwork(target, f, { argv: this.argv, toolVersion: this.config.version, log: o.log, view: { plan: hostView.renderHostPlan, ufwNote: hostView.ufwNote, result: hostView.renderContainResult } });
      }
      // no spinner on a fleet: hosts run at once and their lines carry their names
      const spin = progress('isolating', { json: this.jsonEnabled() || !o.ask });
      try {
        const result = await isolateProject(target, {
          project: flags.project,
          file: flags.file,
          dir: flags.dir,
          mode: flags.mode as Mode,
          caseDir: o.caseDir,
          dryRun: flags['dry-run'],
          snapshot: flags.snapshot,
          layerLimits,
          argv: this.argv,
          toolVersion: this.config.version,
          onProgress: (t) => spin.update(t),
          confirm: async ({ project, plan, caseDir }) => {
            spin.stop();
            o.log(renderPlan({ project, mode: flags.mode as Mode, plan, caseDir, host: target.name, snapshot: flags.snapshot }));
            if (plan.actions.length === 0) throw new UserError(`nothing to isolate in ${project.name} with mode ${flags.mode}`, plan.warnings[0]);
            if (!o.ask) return;
            const questions = flags.snapshot ? ['Isolate now?'] : ['Skip the snapshot? Logs and state that the isolation changes will be lost.', 'Really isolate without a snapshot?'];
            // how it was confirmed goes into the journal (snapshotSkipped)
            return await confirmOrRefuse({ yes: flags.yes, questions, what: `isolate ${project.name}` });
          },
        });
        spin.stop();
        if (result.dryRun) o.log(renderPlan({ project: result.project, mode: result.mode, plan: result.plan, caseDir: result.case, host: target.name, snapshot: flags.snapshot }));
        o.log(renderIsolateResult(result));
        return result;
      } finally {
        spin.stop();
      }
    };
    const failed = (r: IsolateResult | HostNetworkCommandResult): boolean => {
      if ('mode' in r) return Boolean(r.selfTest && !r.selfTest.ok);
      if ('record' in r) return Boolean(r.record.selfTest && !r.record.selfTest.ok);
      return !r.ok;
    };

    if (isFleet(flags)) {
      const [{ fleetHosts, fleetCaseDir }, { runFleetCommand }, { compactUtc }] = await Promise.all([import('../host/fleet.js'), import('../output/fleet-table.js'), import('../core/time.js')]);
      if (flags.confirm && !flags.case) throw new UserError('--confirm needs --case DIR of the host isolation');
      const hosts = fleetHosts(flags);
      const caseDir = flags.case ?? join('cases', `${hostNetwork ? 'quarantine' : (flags.project ?? 'isolate')}-${compactUtc()}`);
      if (!flags['dry-run'] && !flags.confirm) {
        const what = hostNetwork ? `quarantine ${hosts.length} hosts` : `isolate ${flags.project ?? flags.file ?? flags.dir ?? 'the Compose project'} (mode ${flags.mode}) on ${hosts.length} hosts`;
        const questions = [`${what[0]!.toUpperCase()}${what.slice(1)}: ${hosts.map((h) => h.label).join(', ')}? Each host's plan is printed as it runs.`];
        if (!hostNetwork && !flags.snapshot) questions.push('Really isolate without a snapshot? Logs and state that the isolation changes will be lost.');
        await confirmOrRefuse({ yes: flags.yes, questions, what });
      }
      const json = this.jsonEnabled();
      const rows = await runFleetCommand({ log: (s) => this.log(s), json }, flags, (t, h) => isolateOn(t, { caseDir: fleetCaseDir(caseDir, h.label), ask: false, hostSpec: h.spec, log: (s) => json || this.log(s.replace(/^/gm, `[${h.label}] `)) }), failed, {
        summary: (r) => ('mode' in r ? `${r.mode}: ${r.dryRun ? 'planned' : r.selfTest?.ok ? 'self-test ok' : 'SELF-TEST FAILED'}` : 'record' in r ? (r.dryRun ? 'planned' : 'quarantined') : r.detail),
      });
      if (!json) this.log(`case: ${caseDir} (one directory per host under hosts/; ir restore --case ${caseDir} with the same hosts)`);
      return { case: caseDir, ...rows };
    }
    const target = await openTarget(flags);
    try {
      const result = await isolateOn(target, { caseDir: flags.case, ask: true, log: (s) => this.log(s) });
      if (failed(result)) setExitCode(1);
      return result;
    } finally {
      await target.close();
    }
  }
}
