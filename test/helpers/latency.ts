import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { serviceEnv } from './services.js';

/**
 * The test sshd at a distance (issue 16): bench/fleet-proxy.mjs in front of it adding round trip
 * time, a known_hosts that knows the proxy's port, and the round trips ir's ssh target counted
 * (IR_TRACE_ROUNDTRIPS), for tests that assert requests counted rather than time.
 */

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** What the ssh target counted, summed over the hosts of one run (see src/host/batch/roundtrips.ts). */
export interface Trips {
  channels: number;
  execs: number;
  sftp: number;
  perFile: number;
  batches: number;
  served: number;
}

export interface LatencyProxy {
  port: number;
  /** a copy of the services' known_hosts with the proxy's port added */
  knownHosts: string;
  stop(): void;
}

/** Starts the proxy adding `rttMs` in front of the test sshd; its known_hosts goes in `dir`. */
export async function startLatencyProxy(dir: string, rttMs: number): Promise<LatencyProxy> {
  const e = serviceEnv();
  const port = await freePort();
  const proxy: ChildProcess = spawn(process.execPath, [join(ROOT, 'bench/fleet-proxy.mjs'), String(port), e.IR_SSH_PORT!, String(rttMs)], { stdio: 'ignore' });
  const known = readFileSync(e.IR_KNOWN_HOSTS!, 'utf8');
  const key = new RegExp(`^\\[127\\.0\\.0\\.1\\]:${e.IR_SSH_PORT}\\S*\\s+(\\S+\\s+\\S+)`, 'm').exec(known)![1];
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${known}\n[127.0.0.1]:${port} ${key}\n`);
  await new Promise((r) => setTimeout(r, 300));
  return { port, knownHosts, stop: () => proxy.kill('SIGKILL') };
}

/** The round trips a run traced into `file` (one JSON line per host), summed. */
export function tracedTrips(file: string): Trips {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Trips) : [];
  const sum = (k: keyof Trips) => lines.reduce((n, l) => n + l[k], 0);
  return { channels: sum('channels'), execs: sum('execs'), sftp: sum('sftp'), perFile: sum('perFile'), batches: sum('batches'), served: sum('served') };
}
