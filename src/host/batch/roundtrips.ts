import { appendFileSync } from 'node:fs';

/**
 * What reading a remote host cost, counted where it happens (the ssh target and its snapshots), so
 * that tests and the benchmark can assert it: a change that brings back one request per file shows
 * here long before anyone times it. `IR_TRACE_ROUNDTRIPS=FILE` appends one JSON line per host at close.
 */
export interface RoundTrips {
  /** SSH channels opened: each command, the sftp session, each batch */
  channels: number;
  /** commands run (batches and the sudo sftp-server included) */
  execs: number;
  /** sftp requests sent (stat, open, read, readdir, readlink, close…) */
  sftp: number;
  /** Target reads that went to the host one by one (lstat, stat, list, readlink, readFile, openRead) */
  perFile: number;
  /** batches run: the first one and the follow-ups */
  batches: number;
  /** bytes the batches brought back */
  batchBytes: number;
  /** Target reads and commands a snapshot answered without the host */
  served: number;
  /** reads a snapshot could not answer and asked a follow-up batch for */
  misses: number;
}

export function emptyRoundTrips(): RoundTrips {
  return { channels: 0, execs: 0, sftp: 0, perFile: 0, batches: 0, batchBytes: 0, served: 0, misses: 0 };
}

export function traceRoundTrips(host: string, rt: RoundTrips): void {
  const file = process.env.IR_TRACE_ROUNDTRIPS;
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify({ host, ...rt })}\n`);
  } catch {
    // tracing never breaks a run
  }
}
