import { existsSync, promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execLocal } from '../host/exec.js';

export interface TimerOptions {
  /** how to start ir on this machine: [node, /abs/bin/run.js] */
  irArgv: string[];
  /** sweep flags to keep (--host …, --baseline …, --policy …) */
  sweepArgs: string[];
  /** swept host, for the unit name and description ("local" for this machine) */
  hostLabel: string;
  outDir?: string;
  unitDir?: string;
  onCalendar?: string;
}

export interface UnitFile {
  path: string;
  content: string;
}

/** systemd's ExecStart syntax: `%` and `$` are specifiers, words with spaces or quotes are double-quoted. */
export function systemdQuote(arg: string): string {
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[\w@+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function unitName(hostLabel: string): string {
  return hostLabel === 'local' ? 'ir-sweep' : `ir-sweep-${hostLabel.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/**
 * A oneshot service and a daily timer on the machine where ir runs. With --host the service sweeps
 * over ssh: nothing is installed on the swept host. JSON results go to /var/lib/ir/sweeps/.
 */
export function timerUnits(o: TimerOptions): UnitFile[] {
  const outDir = o.outDir ?? '/var/lib/ir/sweeps';
  const unitDir = o.unitDir ?? '/etc/systemd/system';
  const name = unitName(o.hostLabel);
  const exec = [...o.irArgv, 'sweep', ...o.sweepArgs, '--out-dir', outDir].map(systemdQuote).join(' ');
  const stateDir = outDir.startsWith('/var/lib/') ? outDir.slice('/var/lib/'.length) : null;
  const service = [
    '[Unit]',
    `Description=ir sweep of ${o.hostLabel}: hygiene checks and drift from the accepted baseline`,
    ...(o.irArgv[1] ? [`Documentation=file://${resolve(dirname(o.irArgv[1]), '..', 'docs', 'sweep.md')}`] : []),
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    '# exit 1 (failing checks or drift at or above --fail-on) leaves the unit failed: OnFailure= and `systemctl --failed` see it',
    `ExecStart=${exec}`,
    'Environment=CI=true NO_COLOR=1',
    ...(stateDir ? [`StateDirectory=${stateDir}`, 'StateDirectoryMode=0700'] : [`ReadWritePaths=${outDir}`]),
    'UMask=0077',
    'Nice=10',
    'IOSchedulingClass=idle',
    'TimeoutStartSec=30min',
    'PrivateTmp=yes',
    'ProtectSystem=full',
    'ProtectHome=read-only',
    'NoNewPrivileges=yes',
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=Daily ir sweep of ${o.hostLabel}`,
    '',
    '[Timer]',
    `OnCalendar=${o.onCalendar ?? 'daily'}`,
    'RandomizedDelaySec=1h',
    'Persistent=true',
    `Unit=${name}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return [
    { path: join(unitDir, `${name}.service`), content: service },
    { path: join(unitDir, `${name}.timer`), content: timer },
  ];
}

export interface InstallResult {
  units: UnitFile[];
  dryRun: boolean;
  written: boolean;
  enabled: boolean;
  note: string;
}

/** Writes the units here (never on the swept host) and enables the timer when systemd runs as PID 1. */
export async function installTimer(o: TimerOptions, dryRun: boolean): Promise<InstallResult> {
  const units = timerUnits(o);
  if (dryRun) return { units, dryRun, written: false, enabled: false, note: 'dry run: nothing written' };
  for (const u of units) {
    await fsp.mkdir(join(u.path, '..'), { recursive: true });
    await fsp.writeFile(u.path, u.content, { mode: 0o644 });
  }
  // the sweep refuses an --out-dir that does not exist: systemd makes a StateDirectory, any other is made here
  const outDir = o.outDir ?? '/var/lib/ir/sweeps';
  if (!outDir.startsWith('/var/lib/')) await fsp.mkdir(outDir, { recursive: true, mode: 0o700 });
  if (!existsSync('/run/systemd/system')) {
    return { units, dryRun, written: true, enabled: false, note: `systemd is not running here: run \`systemctl daemon-reload && systemctl enable --now ${unitName(o.hostLabel)}.timer\` once it is` };
  }
  const timer = units[1]!.path.split('/').pop()!;
  for (const argv of [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', timer]]) {
    const res = await execLocal(argv, { timeoutMs: 30_000 });
    if (res.code !== 0) return { units, dryRun, written: true, enabled: false, note: `${argv.join(' ')}: ${res.stderr.toString().trim().split('\n')[0]}` };
  }
  return { units, dryRun, written: true, enabled: true, note: `enabled ${timer}` };
}
