import { Flags } from '@oclif/core';
import { openTarget, targetFlags } from '../host/flags.js';
import { IrCommand } from '../output/command.js';
import { UserError } from '../output/errors.js';
import { progress } from '../output/progress.js';
import { hostNetworkFlags } from '../isolate/host/flags.js';
import type { HostNetworkCommandResult } from '../isolate/host/run.js';
import { MODE_KEEPS, MODES, type Mode } from '../isolate/modes.js';
import type { IsolateResult } from '../isolate/schema.js';

export default class Isolate extends IrCommand {
  static override summary = 'Take a compromised Compose project (or the whole host) off the network, evidence first.';
  static override description = `Snapshots every container of the project (logs with timestamps, inspect, diff, top, stats, networks) into the case directory, then acts, then proves that it acted (self-test; exit 1 when it did not). \`ir restore --case DIR\` undoes exactly what the journal isolation.json records.

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
    project: Flags.string({ char: 'p', summary: 'Compose project name (from the containers\' com.docker.compose.project label).', exclusive: ['file', 'dir'] }),
    file: Flags.string({ char: 'f', summary: 'A compose file of the project (matched against com.docker.compose.project.config_files).', exclusive: ['project', 'dir'] }),
    dir: Flags.string({ summary: 'The project\'s working directory (com.docker.compose.project.working_dir).', exclusive: ['project', 'file'] }),
    mode: Flags.string({ char: 'm', summary: 'How to isolate: pause, network, stop or down (see above for what each keeps).', options: [...MODES], default: 'pause' }),
    case: Flags.string({ summary: 'Case directory for the snapshot and journal (default cases/<project>-<UTC timestamp>/).' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan and change nothing.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask (needed without a terminal).' }),
    snapshot: Flags.boolean({ summary: 'Snapshot before acting; --no-snapshot skips it and asks twice.', allowNo: true, default: true }),
    ...hostNetworkFlags,
  };

  async run(): Promise<IsolateResult | HostNetworkCommandResult> {
    const { flags } = await this.parse(Isolate);
    const [{ confirmOrRefuse }, { isolateProject }, { renderIsolateResult, renderPlan }, { runHostNetwork }] = await Promise.all([
      import('../isolate/confirm.js'),
      import('../isolate/isolate.js'),
      import('../isolate/render.js'),
      import('../isolate/host/run.js'),
    ]);
    const target = await openTarget(flags);
    try {
      if (flags['host-network'] || flags.confirm) {
        return await runHostNetwork(target, flags, { argv: this.argv, toolVersion: this.config.version, log: (s: string) => this.log(s) });
      }
      const spin = progress('isolating', { json: this.jsonEnabled() });
      const result = await isolateProject(target, {
        project: flags.project,
        file: flags.file,
        dir: flags.dir,
        mode: flags.mode as Mode,
        caseDir: flags.case,
        dryRun: flags['dry-run'],
        snapshot: flags.snapshot,
        argv: this.argv,
        toolVersion: this.config.version,
        onProgress: (t) => spin.update(t),
        confirm: async ({ project, plan, caseDir }) => {
          spin.stop();
          this.log(renderPlan({ project, mode: flags.mode as Mode, plan, caseDir, host: target.name, snapshot: flags.snapshot }));
          if (plan.actions.length === 0) throw new UserError(`nothing to isolate in ${project.name} with mode ${flags.mode}`, plan.warnings[0]);
          const questions = flags.snapshot ? ['Isolate now?'] : ['Skip the snapshot? Logs and state that the isolation changes will be lost.', 'Really isolate without a snapshot?'];
          await confirmOrRefuse({ yes: flags.yes, questions, what: `isolate ${project.name}` });
        },
      });
      spin.stop();
      if (result.dryRun) this.log(renderPlan({ project: result.project, mode: result.mode, plan: result.plan, caseDir: result.case, host: target.name, snapshot: flags.snapshot }));
      this.log(renderIsolateResult(result));
      if (result.selfTest && !result.selfTest.ok) process.exitCode = 1;
      return result;
    } finally {
      await target.close();
    }
  }
}
