import type { FleetRow, HostsRun } from '../host/fleet.js';
import { escapeControls } from '../core/escape.js';
import { table } from './format.js';
import { setExitCode } from '../core/step.js';

/** One row per host: a dead or unverifiable host is a row with its one-line reason, never a stop. */
export function renderFleetTable<T>(rows: FleetRow<T>[], summary: (r: T) => string): string {
  return table(
    rows.map((r) => [escapeControls(r.host), r.status, String(r.exitCode), `${r.seconds.toFixed(1)} s`, r.result !== undefined ? summary(r.result) : escapeControls(r.error ?? '', { max: 140 })]),
    ['host', 'status', 'exit', 'time', 'result'],
  );
}

/**
 * Shows what runOnHosts did, the same way for every command: one host's report (its result is what
 * --json prints), or each host's report and the fleet table (`{ hosts }` for --json). Sets the exit code.
 */
export function showHosts<T>(out: { log(s: string): void; json: boolean }, run: HostsRun<T>, view: { report: (r: T) => string; summary: (r: T) => string; reportEach?: boolean }): T | { hosts: FleetRow<T>[] } {
  setExitCode(run.exitCode);
  if (!run.fleet) {
    if (!out.json) out.log(view.report(run.result));
    return run.result;
  }
  if (!out.json) {
    if (view.reportEach !== false) for (const row of run.rows) if (row.result) out.log(`\n=== ${escapeControls(row.host)} ===\n${view.report(row.result)}`);
    out.log(`\n${renderFleetTable(run.rows, view.summary)}`);
  }
  return { hosts: run.rows };
}

/**
 * The older entry point of the fleet-only branch of a command, kept for the commands that still
 * build their own single-host path: runs the fleet and shows it.
 */
export async function runFleetCommand<T>(
  out: { log(s: string): void; json: boolean },
  flags: Parameters<typeof import('../host/fleet.js').runOnFleet>[0],
  fn: Parameters<typeof import('../host/fleet.js').runOnFleet<T>>[1],
  failing: (r: T) => boolean,
  view: { report?: (r: T) => string; summary: (r: T) => string },
): Promise<{ hosts: FleetRow<T>[] }> {
  const { runOnFleet } = await import('../host/fleet.js');
  const { rows, exitCode } = await runOnFleet(flags, fn, (r) => (failing(r) ? 1 : 0));
  return showHosts(out, { fleet: true, rows, exitCode }, { report: view.report ?? (() => ''), summary: view.summary, reportEach: Boolean(view.report) }) as { hosts: FleetRow<T>[] };
}
