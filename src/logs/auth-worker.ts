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
}

const READ = 1 << 20;
const PROGRESS = 32 << 20;

const input = workerData as WorkerInput;
const stats = newStats();
const splitter = splitterFor('syslog', { stats, opts: input.opts, referenceMs: input.referenceMs, offsetMinutes: input.offsetMinutes });

function done(): void {
  splitter.end();
  stats.lastBucket = null;
  stats.pendingInvalid.clear();
  parentPort?.postMessage({ type: 'done', stats });
}

if (input.fd !== undefined) {
  const bufs = [Buffer.allocUnsafe(READ), Buffer.allocUnsafe(READ)];
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
