import type { FleetRow } from '../host/fleet.js';
import { forTerminal } from './sanitize.js';
import { table } from './format.js';

/** One row per host: a dead or unverifiable host is a row with its one-line reason, never a stop. */
export function renderFleetTable<T>(rows: FleetRow<T>[], summary: (r: T) => string): string {
  return table(
    rows.map((r) => [forTerminal(r.host), r.status, String(r.exitCode), `${r.seconds.toFixed(1)} s`, r.result !== undefined ? summary(r.result) : forTerminal(r.error ?? '', { max: 140 })]),
    ['host', 'status', 'exit', 'time', 'result'],
  );
}
