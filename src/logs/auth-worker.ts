import { parentPort, workerData } from 'node:worker_threads';
import { forEachChunkSync, readRangeSync } from '../host/positioned.js';
import { splitterFor } from './auth-scan.js';
import { newStats, type StatsOptions } from './auth-stats.js';

/**
 * Worker thread: parses one newline-aligned byte range [start, end) of a syslog file, read through
 * the descriptor the main thread opened through the Target (Target.openPositioned: positioned reads
 * into two alternating buffers), and posts its stats back at the end.
 */
export interface WorkerInput {
  opts: StatsOptions;
  referenceMs: number;
  offsetMinutes: number;
  /** a descriptor of this process (a PositionedFile's) to read [start, end) from */
  fd: number;
  start: number;
  end: number;
  /** sshd pids whose `Invalid user` line is pending (stats.pendingInvalid) before this range: the previous file's, for the first range */
  pending?: [number, string][];
}

const PROGRESS = 32 << 20;
/** bytes before the range read again to learn which `Invalid user` lines are pending at its start */
const LOOKBEHIND = 1 << 20;

const input = workerData as WorkerInput;
const stats = newStats();
for (const [pid, ip] of input.pending ?? []) stats.pendingInvalid.set(pid, ip);
const settings = { stats, opts: input.opts, referenceMs: input.referenceMs, offsetMinutes: input.offsetMinutes };

/**
 * An `Invalid user` line just before the range and its `Failed … invalid user` line inside it are
 * one attempt: the lines before the range (up to LOOKBEHIND, from a line start) are parsed into
 * scratch stats only for their pending pids, so that the attempt is not counted twice.
 */
function lookBehind(start: number): void {
  const from = Math.max(0, start - LOOKBEHIND);
  let b = readRangeSync(input.fd, from, start);
  if (from > 0) {
    const nl = b.indexOf(10);
    if (nl < 0) return;
    b = b.subarray(nl + 1);
  }
  const scratch = newStats();
  const sp = splitterFor('syslog', { ...settings, stats: scratch, opts: { ...input.opts, tail: 0 } });
  sp.push(b);
  sp.end();
  stats.pendingInvalid = scratch.pendingInvalid;
}

if (input.start > 0) lookBehind(input.start);
const splitter = splitterFor('syslog', settings);
let shown = 0;
forEachChunkSync(input.fd, input.start, input.end, (chunk) => {
  splitter.push(chunk);
  shown += chunk.length;
  if (shown >= PROGRESS) {
    parentPort?.postMessage({ type: 'progress', bytes: shown });
    shown = 0;
  }
});
if (shown > 0) parentPort?.postMessage({ type: 'progress', bytes: shown });
splitter.end();
stats.lastBucket = null;
// pendingInvalid stays: the merge hands the last range's on to the next file
parentPort?.postMessage({ type: 'done', stats });
