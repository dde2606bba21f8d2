import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { splitterFor } from './auth-scan.js';
import { newStats, type StatsOptions } from './auth-stats.js';

/**
 * Worker thread: parses one newline-aligned byte range of a syslog file and posts its stats back
 * at the end. With `fd` (a local file the main thread opened through the Target) the worker
 * reads the range itself with positioned reads into two alternating buffers (the splitter keeps
 * at most the tail of the previous chunk); otherwise the main thread reads through the Target and
 * posts chunks, keeping a few in flight per worker (an ack per chunk) so memory stays flat.
 */
export interface WorkerInput {
  opts: StatsOptions;
  referenceMs: number;
  offsetMinutes: number;
  /** a descriptor of this process to read [start, end) from */
  fd?: number;
  start?: number;
  end?: number;
  /** sshd pids whose `Invalid user` line is pending (stats.pendingInvalid) before this range: the previous file's, for the first range */
  pending?: [number, string][];
}

const READ = 1 << 20;
const PROGRESS = 32 << 20;
/** bytes before the range read again to learn which `Invalid user` lines are pending at its start */
const LOOKBEHIND = 1 << 20;

const input = workerData as WorkerInput;
const stats = newStats();
for (const [pid, ip] of input.pending ?? []) stats.pendingInvalid.set(pid, ip);
const splitter = splitterFor('syslog', { stats, opts: input.opts, referenceMs: input.referenceMs, offsetMinutes: input.offsetMinutes });

function done(): void {
  splitter.end();
  stats.lastBucket = null;
  // pendingInvalid stays: the merge hands the last range's on to the next file
  parentPort?.postMessage({ type: 'done', stats });
}

/**
 * An `Invalid user` line just before the range and its `Failed … invalid user` line inside it are
 * one attempt: the lines before the range (up to LOOKBEHIND, from a line start) are parsed into
 * scratch stats only for their pending pids, so that the attempt is not counted twice.
 */
function lookBehind(fd: number, start: number, buf: Buffer): void {
  const from = Math.max(0, start - LOOKBEHIND);
  const n = readSync(fd, buf, 0, start - from, from);
  let b = buf.subarray(0, n);
  if (from > 0) {
    const nl = b.indexOf(10);
    if (nl < 0) return;
    b = b.subarray(nl + 1);
  }
  const scratch = newStats();
  const sp = splitterFor('syslog', { stats: scratch, opts: { ...input.opts, tail: 0 }, referenceMs: input.referenceMs, offsetMinutes: input.offsetMinutes });
  sp.push(b);
  sp.end();
  stats.pendingInvalid = scratch.pendingInvalid;
}

if (input.fd !== undefined) {
  const bufs = [Buffer.allocUnsafe(READ), Buffer.allocUnsafe(READ)];
  if ((input.start ?? 0) > 0) lookBehind(input.fd, input.start!, bufs[0]!);
  let pos = input.start ?? 0;
  const end = input.end ?? 0;
  let shown = 0;
  for (let i = 0; pos < end; i ^= 1) {
    const b = bufs[i]!;
    const n = readSync(input.fd, b, 0, Math.min(READ, end - pos), pos);
    if (n === 0) break;
    splitter.push(b.subarray(0, n));
    pos += n;
    shown += n;
    if (shown >= PROGRESS) {
      parentPort?.postMessage({ type: 'progress', bytes: shown });
      shown = 0;
    }
  }
  if (shown > 0) parentPort?.postMessage({ type: 'progress', bytes: shown });
  done();
} else {
  parentPort?.on('message', (m: { type: 'chunk'; data: Uint8Array } | { type: 'end' }) => {
    if (m.type === 'chunk') {
      splitter.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      parentPort?.postMessage({ type: 'ack' });
    } else done();
  });
}
