import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { fleetFlags, isFleet, openTarget, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';
import { UserError } from '../core/errors.js';
import { progress } from '../output/progress.js';
import type { RestoreResult } from '../isolate/schema.js';
import type { HostRestoreResult } from '../isolate/host/restore.js';
import { setExitCode } from '../core/step.js';

interface Restored {
  containers?: RestoreResult;
  hostNetwork?: HostRestoreResult;
}

export default class Restore extends IrCommand {
  static override summary = 'Undo exactly what `ir isolate` did, from its journal, and check that everything runs again.';
  static override description = `Reads isolation.json (and host-isolation.json) in the case directory: compose up -d after down, start after stop (and the restart policy back), unpause after pause, reconnect the same networks with the same aliases after network; then waits until every container that ran before runs again (healthy where it has a healthcheck). With a host-network journal it removes ir's nftables table, checks that the ruleset is the one from before, unlocks the users it locked and stops the watchdog.`;

  static override examples = ['<%= config.bin %> restore --case cases/shop-20261128T180455Z --dry-run', '<%= config.bin %> restore --host web1 --sudo --case cases/shop-20261128T180455Z --yes'];

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    case: Flags.string({ summary: 'Case directory written by ir isolate.', required: true }),
    'dry-run': Flags.boolean({ summary: 'Print the plan and change nothing.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask (needed without a terminal).' }),
    force: Flags.boolean({ summary: 'Run again although the journal says it was restored.' }),
    wait: Flags.integer({ summary: 'Seconds to wait for containers to run and be healthy.', default: 60 }),
  };

  async run(): Promise<Restored | { case: string; hosts: FleetRow<Restored>[] }> {
    const { flags } = await this.parse(Restore);
    const [{ confirmOrRefuse }, { readJournal }, { renderRestorePlan, renderRestoreResult }, { restoreProject }, { readHostJournal }, { restoreHostNetwork }, { renderHostRestore, renderHostPlan }] = await Promise.all([
      import('../core/confirm.js'),
      import('../isolate/journal.js'),
      import('../output/isolate.js'),
      import('../isolate/restore.js'),
      import('../isolate/host/journal.js'),
      import('../isolate/host/restore.js'),
      import('../output/isolate-host.js'),
    ]);
    if (!existsSync(flags.case)) throw new UserError(`case directory ${flags.case} does not exist`);

    type Journals = { journal: Awaited<ReturnType<typeof readJournal>>; hostJournal: Awaited<ReturnType<typeof readHostJournal>> };
    const journalsOf = async (caseDir: string): Promise<Journals> => {
      const j = { journal: await readJournal(caseDir), hostJournal: await readHostJournal(caseDir) };
      if (!j.journal && !j.hostJournal) throw new UserError(`${caseDir} holds no isolation.json or host-isolation.json`, 'was it written by ir isolate?');
      return j;
    };
    /** One host, from its own case directory; `ask` is false on a fleet (asked once up front). */
    const restoreOn = async (target: Target, caseDir: string, { journal, hostJournal }: Journals, o: { ask: boolean; log: (s: string) => void }): Promise<Restored> => {
      const out: Restored = {};
      // the host's network first: compose up may need it (images, DNS)
      if (hostJournal) {
        out.hostNetwork = await restoreHostNetwork(target, hostJournal, { caseDir, dryRun: flags['dry-run'], yes: flags.yes || !o.ask, force: flags.force, log: o.log, renderPlan: renderHostPlan });
        o.log(renderHostRestore(out.hostNetwork));
      }
      if (journal) {
        const t0 = performance.now();
        const spin = progress('restoring', { json: this.jsonEnabled() || !o.ask }); // none on a fleet
        const r = await restoreProject(target, journal, {
          caseDir,
          dryRun: flags['dry-run'],
          force: flags.force,
          waitMs: flags.wait * 1000,
          onProgress: (t) => spin.update(t),
          confirm: async (plan) => {
            spin.stop();
            o.log(renderRestorePlan(caseDir, plan));
            if (o.ask) await confirmOrRefuse({ yes: flags.yes, questions: ['Restore now?'], what: `restore ${journal.project.name}` });
          },
        }).finally(() => spin.stop());
        out.containers = { case: caseDir, dryRun: flags['dry-run'], plan: r.plan, record: r.record, seconds: Math.round((performance.now() - t0) / 10) / 100 };
        if (flags['dry-run']) o.log(renderRestorePlan(caseDir, r.plan));
        o.log(renderRestoreResult(out.containers));
      }
      return out;
    };
    const failed = (r: Restored): boolean => Boolean((r.hostNetwork && !r.hostNetwork.dryRun && !r.hostNetwork.ok) || (r.containers?.record && !r.containers.record.check.ok));

    if (isFleet(flags)) {
      const [{ fleetHosts, fleetCaseDir }, { runFleetCommand }] = await Promise.all([import('../host/fleet.js'), import('../output/fleet-table.js')]);
      const hosts = fleetHosts(flags);
      // every host's journal is read before anything connects: a wrong --case is a fast, clear error;
      // a host with none (it was unreachable when isolating) is a row of its own
      const journals = new Map<string, Journals | Error>();
      for (const h of hosts) journals.set(h.label, await journalsOf(fleetCaseDir(flags.case, h.label)).catch((err: Error) => err));
      const missing = [...journals.values()].filter((j) => j instanceof Error);
      if (missing.length === hosts.length) throw new UserError(`${flags.case} holds no isolation journal of these hosts (looked in hosts/<host>/)`, 'give the hosts of the isolation, or --case of a single-host isolation without the fleet flags');
      if (!flags['dry-run']) await confirmOrRefuse({ yes: flags.yes, questions: [`Restore ${hosts.length} hosts from ${flags.case}: ${hosts.map((h) => h.label).join(', ')}? Each host's plan is printed as it runs.`], what: `restore ${hosts.length} hosts` });
      const json = this.jsonEnabled();
      const rows = await runFleetCommand({ log: (s) => this.log(s), json }, flags, (t, h) => {
        const j = journals.get(h.label)!;
        if (j instanceof Error) throw j;
        return restoreOn(t, fleetCaseDir(flags.case, h.label), j, { ask: false, log: (s) => json || this.log(s.replace(/^/gm, `[${h.label}] `)) });
      }, failed, {
        summary: (r) => [r.hostNetwork ? `network ${r.hostNetwork.dryRun ? 'planned' : r.hostNetwork.ok ? 'restored' : 'NOT RESTORED'}` : '', r.containers ? `containers ${r.containers.dryRun ? 'planned' : r.containers.record?.check.ok ? 'running' : 'NOT RUNNING'}` : ''].filter(Boolean).join(', '),
      });
      return { case: flags.case, ...rows };
    }
    const journals = await journalsOf(flags.case);
    const target = await openTarget(flags);
    try {
      const out = await restoreOn(target, flags.case, journals, { ask: true, log: (s) => this.log(s) });
      if (failed(out)) setExitCode(1);
      return out;
    } finally {
      await target.close();
    }
  }
}
