import { Flags } from '@oclif/core';
import { fleetFlags, isFleet, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';
import { UserError } from '../core/errors.js';
import { progress } from '../output/progress.js';
import { DETECTOR_IDS } from '../scan/detector-ids.js';
import type { ScanReport } from '../scan/engine.js';
import { SEVERITIES, type Severity } from '../core/severity.js';

export default class PersistenceScan extends IrCommand {
  static override summary = 'Look for persistence: cron jobs, SSH keys, suspicious processes, unexpected listeners.';
  static override description = `Reads the host through one Target: the local machine, a remote host over SSH (--host), or an offline copy of a disk (--root). Every finding has a stable key, a severity, the raw evidence and its ATT&CK id.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 error, or a detector could not evaluate input that exists (an unreadable file, a detector that failed): the scan is incomplete, and the verdict names it.

Detectors: ${DETECTOR_IDS.join(', ')}.`;

  static override examples = [
    { description: 'Scan this machine', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Scan a server over SSH as a sudo user, as the hardening guide logs in', command: '<%= config.bin %> <%= command.id %> --host deploy@web1.example.com --sudo' },
    { description: 'Scan a mounted disk image (processes and ports are skipped offline)', command: '<%= config.bin %> <%= command.id %> --root /mnt/evidence' },
    { description: 'Only cron and keys, JSON for a pipeline', command: '<%= config.bin %> <%= command.id %> --only cron,authorized-keys --json' },
    { description: 'A fleet from an Ansible inventory, 8 hosts at a time (one dead host never stops the others)', command: '<%= config.bin %> <%= command.id %> --hosts inventory.ini --limit web --sudo --concurrency 8' },
    { description: 'Fail (exit 1) already on medium findings', command: '<%= config.bin %> <%= command.id %> --fail-on medium' },
    { description: 'Accept the current state (once)', command: '<%= config.bin %> <%= command.id %> --save-baseline /var/lib/ir/persistence.json' },
    { description: 'Then report only what changed since (for a daily timer)', command: '<%= config.bin %> <%= command.id %> --baseline /var/lib/ir/persistence.json' },
  ];

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    only: Flags.string({ summary: `Detectors to run, comma-separated (${DETECTOR_IDS.join(', ')}).`, multiple: true, delimiter: ',' }),
    'fail-on': Flags.string({ summary: 'Exit 1 when a finding is at or above this severity.', options: [...SEVERITIES], default: 'high' }),
    policy: Flags.string({ summary: 'Policy file (YAML): allowed ports, trusted keys, suppressions. See docs/policy.md.' }),
    'expect-ports': Flags.string({ summary: 'Allowed listening ports, shorthand for the policy (e.g. 22,80,443).' }),
    deep: Flags.boolean({ summary: 'Also run the slow detectors (package integrity, whole-disk SUID walk).' }),
    verbose: Flags.boolean({ char: 'v', summary: 'List info findings (the inventory) and every warning.' }),
    'save-baseline': Flags.string({ summary: 'Store the findings as the accepted state (keys and content hashes, no timestamps).' }),
    baseline: Flags.string({ summary: 'Compare with an accepted state: findings are new, changed or unchanged, and gone ones listed; only new and changed count for --fail-on.' }),
    container: Flags.string({ summary: 'Scan inside only this container (name, id, or Compose project/service; repeatable).', multiple: true, exclusive: ['no-containers'] }),
    'no-containers': Flags.boolean({ summary: 'Do not scan inside containers (their configuration is still checked).', exclusive: ['container'] }),
  };

  async run(): Promise<ScanReport | { hosts: FleetRow<ScanReport>[] }> {
    const { flags } = await this.parse(PersistenceScan);
    const [{ showHosts }, { runOnHosts }, { loadPolicy }, { runScan, decideScan }, { renderScan, scanSummary }, { compareBaseline, readBaseline, saveBaseline, writeBaseline }] = await Promise.all([
      import('../output/fleet-table.js'),
      import('../host/fleet.js'),
      import('../core/policy.js'),
      import('../scan/engine.js'),
      import('../output/scan.js'),
      import('../scan/baseline-file.js'),
    ]);
    let expectPorts: number[] | undefined;
    if (flags['expect-ports'] !== undefined) {
      expectPorts = flags['expect-ports'].split(',').map((p) => Number(p.trim()));
      if (expectPorts.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new UserError(`--expect-ports ${flags['expect-ports']}: expected port numbers like 22,80,443`);
    }
    const policy = await loadPolicy(flags.policy, { expectPorts });
    // read the baseline before connecting: a wrong path is a fast, clear error
    const baseline = flags.baseline ? await readBaseline(flags.baseline) : undefined;
    if (isFleet(flags) && flags['save-baseline']) throw new UserError('--save-baseline takes one host', "save each host's baseline with its own scan");
    const failOn = flags['fail-on'] as Severity;
    const fleet = isFleet(flags);
    const containers = { skip: flags['no-containers'], names: flags.container };
    const run = await runOnHosts(
      flags,
      async (target: Target) => {
        const spin = progress(`scanning ${target.name}…`, { json: flags.json || fleet });
        let report: ScanReport;
        try {
          report = await runScan(target, policy, { only: flags.only, deep: flags.deep, containers });
        } finally {
          spin.stop();
        }
        if (baseline) {
          const cmp = compareBaseline(report, baseline);
          report = { ...report, findings: cmp.findings, baseline: { file: flags.baseline!, counts: cmp.counts, gone: cmp.gone } };
        }
        if (flags['save-baseline']) await writeBaseline(flags['save-baseline'], saveBaseline(report));
        return decideScan(report, failOn);
      },
      (r) => r.exitCode ?? 0,
    );
    return showHosts({ log: (s) => this.log(s), json: Boolean(flags.json) }, run, {
      report: (r) => renderScan(r, { verbose: flags.verbose, failOn }),
      summary: scanSummary,
    });
  }
}
