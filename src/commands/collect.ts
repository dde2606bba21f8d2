import { promises as fsp } from 'node:fs';
import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import type { CollectResult } from '../collect/collect.js';
import type { EvidenceWriter } from '../evidence/writer.js';
import { fleetFlags, isFleet, targetFlags } from '../host/flags.js';
import type { FleetRow } from '../host/fleet.js';
import type { Target } from '../host/target.js';
import { IrCommand } from '../output/command.js';
import { EXIT_ERROR, UserError } from '../core/errors.js';
import { progress } from '../output/progress.js';
import { escapeControls } from '../core/escape.js';
import { commandArgv, stepSignal, writeErr } from '../core/step.js';

function human(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

const incomplete = (r: { failed: number; path: string }): string =>
  `${r.failed} item(s) exist but could not be read, so the evidence is incomplete. The archive was written (${escapeControls(r.path)}); "ir evidence verify" lists each one and why (so does acquisition.log inside). Rerun as root or with --sudo to read them.`;

export default class Collect extends IrCommand {
  static override summary = 'Preserve logs, configuration, live state, process bodies and Docker evidence into a timestamped, verifiable tarball.';
  static override description = `Writes ir-<host>-<YYYYMMDDTHHMMSSZ>.tar.gz (with manifest.json, hashes.sha256, acquisition.log and a bodyfile inside, <name>.sha256 beside it) in one pass: every file hashed while it is read and compressed, nothing staged on the collected host. Check it with \`ir evidence verify\`.

Exit codes: 0 complete (items left out by design, such as FIFOs or files over a limit, are listed in acquisition.log); 2 no evidence written, or the archive was written but is incomplete: something that exists could not be read (said first, listed in acquisition.log and manifest.json).`;

  static override examples = [
    { description: 'Triage this machine into a case directory', command: '<%= config.bin %> <%= command.id %> --case /srv/cases/2026-01-web1' },
    { description: 'Over SSH as a sudo user, journal of the last 3 days', command: '<%= config.bin %> <%= command.id %> --host deploy@web1.example.com --sudo --since 3d --out ./evidence' },
    { description: 'A mounted disk image', command: '<%= config.bin %> <%= command.id %> --root /mnt/image --out ./evidence' },
    { description: 'Everything, one project only, with extra paths', command: '<%= config.bin %> <%= command.id %> --profile full --project shop --include /srv/shop/uploads --exclude "*.core"' },
  ];

  static override flags = {
    ...targetFlags,
    ...fleetFlags,
    profile: Flags.string({ summary: 'What to collect: a profile of profiles/ (triage, full) or your own YAML profile file.', default: 'triage' }),
    include: Flags.string({ summary: 'Extra host path to collect (repeatable).', multiple: true }),
    exclude: Flags.string({ summary: 'Glob of host paths not to collect (repeatable; `*` within a name, `**` across directories).', multiple: true }),
    since: Flags.string({ summary: 'journalctl and docker logs from this far back: 2h, 3d, or an ISO date (UTC).' }),
    out: Flags.string({ char: 'o', summary: 'Directory for the archive (default: the current directory).', exclusive: ['case'] }),
    case: Flags.string({ summary: 'Case directory (shared with isolate and playbooks); created if missing.', exclusive: ['out'] }),
    project: Flags.string({ summary: 'Only this Compose project.' }),
    'include-shadow': Flags.boolean({ summary: 'Also collect /etc/shadow and /etc/gshadow.' }),
    'include-secrets': Flags.boolean({ summary: 'Keep .env contents and secret values in docker inspect, compose config and environ.' }),
    'max-file-size': Flags.string({ summary: 'Store at most this much of one file (truncation recorded).', default: '1G' }),
    'max-total': Flags.string({ summary: 'Stop storing file contents past this total (skips recorded).' }),
    'layer-max-file-size': Flags.string({ summary: "Store at most this much of one file of a container's writable layer (cut recorded).", default: '256M' }),
    'layer-max-total': Flags.string({ summary: "Store at most this much of each container's writable layer (skips recorded).", default: '2G' }),
  };

  async run(): Promise<CollectResult | { hosts: FleetRow<CollectResult>[] }> {
    const { flags } = await this.parse(Collect);
    const [{ collect }, { parseSince, parseSize }, { showHosts }, { runOnHosts }, { loadProfile }, { existingDir }] = await Promise.all([
      import('../collect/collect.js'),
      import('../collect/options.js'),
      import('../output/fleet-table.js'),
      import('../host/fleet.js'),
      import('../collect/profiles.js'),
      import('../core/dirs.js'),
    ]);
    const profile = await loadProfile(flags.profile);
    const maxFileSize = parseSize(flags['max-file-size'], '--max-file-size');
    const maxTotal = flags['max-total'] ? parseSize(flags['max-total'], '--max-total') : Number.POSITIVE_INFINITY;
    const since = flags.since ? parseSince(flags.since) : undefined;
    const layerLimits = { maxFile: parseSize(flags['layer-max-file-size'], '--layer-max-file-size'), maxContainer: parseSize(flags['layer-max-total'], '--layer-max-total') };
    let outDir = resolve(flags.out ?? flags.case ?? '.');
    if (flags.case) await fsp.mkdir(outDir, { recursive: true, mode: 0o700 });
    else if (flags.out) await existingDir('--out', flags.out);
    outDir = await fsp.realpath(outDir).catch(() => outDir);
    const local = !flags.host?.length && !flags.root;
    if (local && !flags.out && !flags.case && /^\/(tmp|var\/tmp|dev\/shm)(\/|$)/.test(outDir)) {
      throw new UserError(`refusing to write evidence into ${outDir} on the host being collected`, 'give --out DIR or --case DIR explicitly');
    }
    // every archive being written, so that a signal removes each .partial (one per host on a fleet)
    const writers = new Set<EvidenceWriter>();
    const spinner = progress('connecting…', { json: this.jsonEnabled() || isFleet(flags) });
    const onSignal = (sig: NodeJS.Signals) => {
      spinner.stop();
      process.stderr.write(`ir collect: ${sig}: stopping, removing the partial archive\n`);
      void Promise.all([...writers].map((w) => w.abort())).finally(() => process.exit(EXIT_ERROR));
    };
    // a playbook step: its timeout removes the partial archive (the run owns the process's signals)
    const step = stepSignal();
    const onStop = () => void Promise.all([...writers].map((w) => w.abort()));
    if (step) step.addEventListener('abort', onStop, { once: true });
    else {
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    }
    const t0 = Date.now();
    const run = (target: Target, onProgress?: (p: { files: number; bytes: number; current: string }) => void) =>
      collect(target, {
        profile,
        include: flags.include ?? [],
        exclude: flags.exclude ?? [],
        since,
        project: flags.project,
        includeShadow: flags['include-shadow'],
        includeSecrets: flags['include-secrets'],
        maxFileSize,
        maxTotal,
        layerLimits,
        outDir,
        argv: commandArgv(),
        toolVersion: this.config.version,
        onStart: (w) => writers.add(w),
        onProgress,
      });
    try {
      const hosts = await runOnHosts(
        flags,
        (target) =>
          run(
            target,
            isFleet(flags)
              ? undefined
              : (p) => {
                  const secs = Math.max(0.001, (Date.now() - t0) / 1000);
                  spinner.update(`${p.files} files, ${human(p.bytes)} (${human(p.bytes / secs)}/s) ${escapeControls(p.current, { max: 60 })}`);
                },
          ),
        (r) => {
          // the playbook runner reads its step's reason from the last line on stderr
          if (r.failed > 0 && this.jsonEnabled()) writeErr(`ir collect: ${incomplete(r)}\n`);
          return r.failed > 0 ? EXIT_ERROR : 0;
        },
      );
      spinner.stop();
      return showHosts({ log: (s) => this.log(s), json: this.jsonEnabled() }, hosts, {
        reportEach: false,
        report: (r) =>
          [
            ...(r.failed ? [`INCOMPLETE: ${incomplete(r)}`] : []),
            escapeControls(r.path),
            `  ${r.files} entries, ${human(r.bytes)} collected, ${human(r.archiveBytes)} compressed, sha256 ${r.sha256}`,
            ...(r.skipped ? [`  ${r.skipped} item(s) left out by design (FIFOs, devices, limits, tools not installed): listed in acquisition.log inside`] : []),
            ...(r.failed ? [`INCOMPLETE: ${incomplete(r)}`] : []),
          ].join('\n'),
        summary: (r) => `${escapeControls(r.path)} (${r.files} entries, ${human(r.archiveBytes)})`,
      });
    } finally {
      spinner.stop();
      step?.removeEventListener('abort', onStop);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  }
}
