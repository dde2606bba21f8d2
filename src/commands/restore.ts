import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { openTarget, targetFlags } from '../host/flags.js';
import { IrCommand } from '../output/command.js';
import { UserError } from '../output/errors.js';
import { progress } from '../output/progress.js';
import type { RestoreResult } from '../isolate/schema.js';
import type { HostRestoreResult } from '../isolate/host/restore.js';

export default class Restore extends IrCommand {
  static override summary = 'Undo exactly what `ir isolate` did, from its journal, and check that everything runs again.';
  static override description = `Reads isolation.json (and host-isolation.json) in the case directory: compose up -d after down, start after stop (and the restart policy back), unpause after pause, reconnect the same networks with the same aliases after network; then waits until every container that ran before runs again (healthy where it has a healthcheck). With a host-network journal it removes ir's nftables table, checks that the ruleset is the one from before, unlocks the users it locked and stops the watchdog.`;

  static override examples = ['<%= config.bin %> restore --case cases/shop-20261128T180455Z --dry-run', '<%= config.bin %> restore --host web1 --sudo --case cases/shop-20261128T180455Z --yes'];

  static override flags = {
    ...targetFlags,
    case: Flags.string({ summary: 'Case directory written by ir isolate.', required: true }),
    'dry-run': Flags.boolean({ summary: 'Print the plan and change nothing.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask (needed without a terminal).' }),
    force: Flags.boolean({ summary: 'Run again although the journal says it was restored.' }),
    wait: Flags.integer({ summary: 'Seconds to wait for containers to run and be healthy.', default: 60 }),
  };

  async run(): Promise<{ containers?: RestoreResult; hostNetwork?: HostRestoreResult }> {
    const { flags } = await this.parse(Restore);
    const [{ confirmOrRefuse }, { readJournal }, { renderRestorePlan, renderRestoreResult }, { restoreProject }, { readHostJournal }, { restoreHostNetwork }, { renderHostRestore }] = await Promise.all([
      import('../isolate/confirm.js'),
      import('../isolate/journal.js'),
      import('../isolate/render.js'),
      import('../isolate/restore.js'),
      import('../isolate/host/journal.js'),
      import('../isolate/host/restore.js'),
      import('../isolate/host/render.js'),
    ]);
    if (!existsSync(flags.case)) throw new UserError(`case directory ${flags.case} does not exist`);
    const journal = await readJournal(flags.case);
    const hostJournal = await readHostJournal(flags.case);
    if (!journal && !hostJournal) throw new UserError(`${flags.case} holds no isolation.json or host-isolation.json`, 'was it written by ir isolate?');
    const target = await openTarget(flags);
    const out: { containers?: RestoreResult; hostNetwork?: HostRestoreResult } = {};
    try {
      // the host's network first: compose up may need it (images, DNS)
      if (hostJournal) {
        out.hostNetwork = await restoreHostNetwork(target, hostJournal, { caseDir: flags.case, dryRun: flags['dry-run'], yes: flags.yes, force: flags.force, log: (s) => this.log(s) });
        this.log(renderHostRestore(out.hostNetwork));
        if (!out.hostNetwork.dryRun && !out.hostNetwork.ok) process.exitCode = 1;
      }
      if (journal) {
        const t0 = performance.now();
        const spin = progress('restoring', { json: this.jsonEnabled() });
        const r = await restoreProject(target, journal, {
          caseDir: flags.case,
          dryRun: flags['dry-run'],
          force: flags.force,
          waitMs: flags.wait * 1000,
          onProgress: (t) => spin.update(t),
          confirm: async (plan) => {
            spin.stop();
            this.log(renderRestorePlan(flags.case, plan));
            await confirmOrRefuse({ yes: flags.yes, questions: ['Restore now?'], what: `restore ${journal.project.name}` });
          },
        });
        spin.stop();
        out.containers = { case: flags.case, dryRun: flags['dry-run'], plan: r.plan, record: r.record, seconds: Math.round((performance.now() - t0) / 10) / 100 };
        if (flags['dry-run']) this.log(renderRestorePlan(flags.case, r.plan));
        this.log(renderRestoreResult(out.containers));
        if (r.record && !r.record.check.ok) process.exitCode = 1;
      }
      return out;
    } finally {
      await target.close();
    }
  }
}
