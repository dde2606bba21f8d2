import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, runIr, type IrRun } from './cli.js';
import { serviceEnv } from './services.js';

export interface LatencyProxy {
  /** the proxy's port on 127.0.0.1, in front of the test sshd */
  port: number;
  /** a known_hosts file that names the test sshd at its own port and at the proxy's */
  knownHosts: string;
  stop(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * bench/fleet-proxy.mjs in front of the test sshd, adding `rttMs` of round trip as a far server would
 * (issue 16: round trips are counted through it, not timed), with its known_hosts written into `dir`.
 */
export async function startLatencyProxy(dir: string, rttMs: number): Promise<LatencyProxy> {
  const e = serviceEnv();
  const port = await freePort();
  const proxy = spawn(process.execPath, [join(ROOT, 'bench/fleet-proxy.mjs'), String(port), e.IR_SSH_PORT!, String(rttMs)], { stdio: 'ignore' });
  const known = readFileSync(e.IR_KNOWN_HOSTS!, 'utf8');
  const key = new RegExp(`^\\[127\\.0\\.0\\.1\\]:${e.IR_SSH_PORT}\\S*\\s+(\\S+\\s+\\S+)`, 'm').exec(known)![1];
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${known}\n[127.0.0.1]:${port} ${key}\n`);
  await new Promise((r) => setTimeout(r, 300));
  return { port, knownHosts, stop: () => proxy.kill('SIGKILL') };
}

/** What the ssh target counted (host/batch/roundtrips.ts), summed over the hosts a run traced. */
export interface Trips {
  channels: number;
  execs: number;
  sftp: number;
  perFile: number;
  batches: number;
  served: number;
}

/**
 * Runs ir as deploy --sudo through the proxy (or directly to the test sshd), batched or per file
 * (IR_BATCH=0), with the round trips its ssh targets counted (IR_TRACE_ROUNDTRIPS, a file in `dir`).
 */
export async function irTraced(proxy: LatencyProxy, dir: string, args: string[], opts: { direct?: boolean; batch?: boolean } = {}): Promise<IrRun & { trips: Trips }> {
  const e = serviceEnv();
  const trace = join(dir, `trace-${Math.random().toString(36).slice(2)}.jsonl`);
  const port = opts.direct ? e.IR_SSH_PORT : String(proxy.port);
  const ssh = ['--host', `deploy@127.0.0.1:${port}`, '-i', e.IR_SSH_KEY!, '--known-hosts', proxy.knownHosts, '--sudo'];
  const r = await runIr([...args, ...ssh], { env: { IR_TRACE_ROUNDTRIPS: trace, IR_BATCH: opts.batch === false ? '0' : '1' }, timeoutMs: 600_000 });
  return { ...r, trips: tracedTrips(trace) };
}

/** The round trips a run traced into `file` (one JSON line per host), summed. */
export function tracedTrips(file: string): Trips {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Trips) : [];
  const sum = (k: keyof Trips) => lines.reduce((n, l) => n + l[k], 0);
  return { channels: sum('channels'), execs: sum('execs'), sftp: sum('sftp'), perFile: sum('perFile'), batches: sum('batches'), served: sum('served') };
}
