import { parentPort, workerData } from 'node:worker_threads';
import { splitterFor } from './auth-scan.js';
import { newStats, type StatsOptions } from './auth-stats.js';

/**
 * Worker thread: parses one newline-aligned byte range of a syslog file that the main thread
 * reads through the Target and posts in chunks; posts its stats back at the end. The main
 * thread keeps a few chunks in flight per worker (an ack per chunk) so memory stays flat.
 */
export interface WorkerInput {
  opts: StatsOptions;
  referenceMs: number;
  offsetMinutes: number;
}

const input = workerData as WorkerInput;
const stats = newStats();
const splitter = splitterFor('syslog', { stats, opts: input.opts, referenceMs: input.referenceMs, offsetMinutes: input.offsetMinutes });

parentPort?.on('message', (m: { type: 'chunk'; data: Uint8Array } | { type: 'end' }) => {
  if (m.type === 'chunk') {
    splitter.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    parentPort?.postMessage({ type: 'ack' });
  } else {
    splitter.end();
    stats.lastBucket = null;
    stats.pendingInvalid.clear();
    parentPort?.postMessage({ type: 'done', stats });
  }
});
