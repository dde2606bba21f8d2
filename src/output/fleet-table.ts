import type { FleetFlagValues, TargetFlagValues } from '../host/flags.js';
import { runOnFleet, type FleetRow } from '../host/fleet.js';
import type { InventoryHost } from '../host/inventory.js';
import type { Target } from '../host/target.js';
import { escapeControls } from '../core/escape.js';
import { table } from './format.js';

/** One row per host: a dead or unverifiable host is a row with its one-line reason, never a stop. */
export function renderFleetTable<T>(rows: FleetRow<T>[], summary: (r: T) => string): string {
  return table(
    rows.map((r) => [escapeControls(r.host), r.status, String(r.exitCode), `${r.seconds.toFixed(1)} s`, r.result !== undefined ? summary(r.result) : escapeControls(r.error ?? '', { max: 140 })]),
    ['host', 'status', 'exit', 'time', 'result'],
  );
}

/**
 * What every single-host command does with a fleet: run `fn` on each host, print each host's report
 * (when `report` is given) and the table, set the exit code to the worst host's, return the rows for --json.
 */
export async function runFleetCommand<T>(
  out: { log(s: string): void; json: boolean },
  flags: TargetFlagValues & FleetFlagValues,
  fn: (target: Target, host: InventoryHost) => Promise<T>,
  failing: (r: T) => boolean,
  view: { report?: (r: T) => string; summary: (r: T) => string },
): Promise<{ hosts: FleetRow<T>[] }> {
  const { rows, exitCode } = await runOnFleet(flags, fn, (r) => (failing(r) ? 1 : 0));
  if (!out.json) {
    if (view.report) for (const row of rows) if (row.result) out.log(`\n=== ${row.host} ===\n${view.report(row.result)}`);
    out.log(`\n${renderFleetTable(rows, view.summary)}`);
  }
  process.exitCode = exitCode;
  return { hosts: rows };
}
