import { closeSync, existsSync, openSync, read, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { listOrEmpty, TargetError, type Target } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import type { AuthEvent } from './auth-event.js';
import { AUTH_PROGRAMS } from './auth-parse.js';
import { buildReport, type AuthReport, type AuthSource } from './auth-report.js';
import { formatOf, isGzip, scanChunks, sniff, splitterFor, type InputFormat } from './auth-scan.js';
import { mergeStats, newStats, type AuthStats, type StatsOptions } from './auth-stats.js';
import type { WorkerInput } from './auth-worker.js';

export interface AuthReviewOptions {
  /** files on the target; `-` is stdin; empty: found in /var/log */
  files: string[];
  journal: boolean;
  stdin?: NodeJS.ReadableStream;
  since?: number;
  until?: number;
  ip?: string;
  user?: string;
  offsetMinutes: number;
  bruteThreshold: number;
  bruteWindowMs: number;
  sprayUsers: number;
  distributedIps: number;
  top: number;
  tail: number;
  policy: Policy;
  /** local path of a JSONL timeline (Timesketch fields) */
  timeline?: string;
  /** which jails ban which address now; null when fail2ban cannot be asked */
  banned?: () => Promise<{ banned: Map<string, string[]> | null; error?: string }>;
  onProgress?: (text: string) => void;
  /** worker threads for large plain files: undefined = automatic, 0 = never */
  workers?: number;
  /** cap on buffered `journalctl -o json` output */
  journalMaxBytes?: number;
}

export { AUTH_REVIEW_DEFAULTS } from './defaults.js';

export const LOG_DIR = '/var/log';
/** Below this a file is parsed on the main thread: starting workers costs more than it saves. */
export const PARALLEL_MIN_BYTES = 48 << 20;

/**
 * Auth logs and their rotated siblings, oldest first: `auth.log.4.gz … auth.log.1, auth.log`
 * (Debian, Ubuntu) and `secure-20260201, secure` (RHEL, with dateext) or `secure.1`.
 */
export async function discoverAuthLogs(target: Target, dir = LOG_DIR): Promise<string[]> {
  const entries = await listOrEmpty(target, dir);
  const found: { path: string; base: string; rank: number }[] = [];
  for (const e of entries) {
    if (e.stat.type !== 'file') continue;
    const m = /^(auth\.log|secure)(?:\.(\d+)|-(\d{8}))?(?:\.gz)?$/.exec(e.name);
    if (!m) continue;
    // higher rank = older; the live file is rank 0, dated files older the older their date
    const rank = m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? 1e9 - Number(m[3]) / 1e3 : 0;
    found.push({ path: e.path, base: m[1]!, rank });
  }
  found.sort((a, b) => a.base.localeCompare(b.base) || b.rank - a.rank);
  return found.map((f) => f.path);
}

interface Run {
  stats: AuthStats;
  opts: StatsOptions;
  o: AuthReviewOptions;
  onEvent?: (e: AuthEvent) => void;
}

export async function reviewAuth(target: Target, o: AuthReviewOptions): Promise<AuthReport> {
  const opts: StatsOptions = { since: o.since, until: o.until, ip: o.ip, user: o.user, bruteThreshold: o.bruteThreshold, bruteWindowMs: o.bruteWindowMs, tail: o.tail };
  const stats = newStats();
  const warnings: string[] = [];
  const sources: AuthSource[] = [];
  const timeline = o.timeline ? new TimelineWriter(o.timeline) : undefined;
  const run: Run = { stats, opts, o };
  let files = o.files;
  if (files.length === 0 && !o.journal) {
    files = await discoverAuthLogs(target);
    if (files.length === 0) {
      if (target.live) {
        warnings.push(`no auth.log or secure in ${LOG_DIR}: reading the journal`);
        o = { ...o, journal: true };
      } else warnings.push(`no auth.log or secure in ${LOG_DIR} of ${target.name}`);
    }
  }
  try {
    for (const f of files) {
      const src: AuthSource = { name: f === '-' ? '(stdin)' : f };
      sources.push(src);
      if (timeline) run.onEvent = (e) => timeline.write(e, src.name);
      try {
        if (f === '-') await readStream(run, src, o.stdin ?? process.stdin, Date.now());
        else await readFile(target, run, src, f);
      } catch (err) {
        src.error = errText(err);
        warnings.push(`${src.name}: ${src.error}`);
      }
    }
    if (o.journal) {
      const src: AuthSource = { name: 'journal' };
      sources.push(src);
      if (timeline) run.onEvent = (e) => timeline.write(e, 'journal');
      try {
        await readJournal(target, run, src);
      } catch (err) {
        src.error = errText(err);
        warnings.push(`journal: ${src.error}`);
      }
    }
  } finally {
    timeline?.close();
  }
  if (sources.length > 0 && sources.every((s) => s.error)) {
    throw new TargetError('IO', `no log could be read: ${sources.map((s) => `${s.name}: ${s.error}`).join('; ')}`);
  }
  let banned: Map<string, string[]> | null = null;
  let fail2banError: string | undefined;
  if (o.banned) {
    const b = await o.banned();
    banned = b.banned;
    fail2banError = b.error;
  }
  const offset = o.offsetMinutes;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return buildReport(stats, {
    host: target.name,
    sources,
    policy: o.policy,
    since: o.since,
    until: o.until,
    ip: o.ip,
    user: o.user,
    offset: `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`,
    bruteThreshold: o.bruteThreshold,
    bruteWindowMs: o.bruteWindowMs,
    sprayUsers: o.sprayUsers,
    distributedIps: o.distributedIps,
    top: o.top,
    tail: o.tail,
    banned,
    fail2banError,
    warnings,
  });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readStream(run: Run, src: AuthSource, stream: NodeJS.ReadableStream, referenceMs: number, total?: number): Promise<void> {
  const sn = await sniff(stream);
  src.format = sn.format;
  src.compressed = sn.compressed;
  src.workers = 0;
  const before = run.stats.lines;
  const handler = splitterFor(sn.format, { stats: run.stats, opts: run.opts, referenceMs, offsetMinutes: run.o.offsetMinutes, onEvent: run.onEvent });
  let done = 0;
  let shown = 0;
  src.bytes = await scanChunks(sn.chunks, handler, (n) => {
    done += n;
    if (run.o.onProgress && done - shown > 16 << 20) {
      shown = done;
      run.o.onProgress(`${src.name}: ${mib(done)}${total && !sn.compressed ? ` of ${mib(total)}` : ''}`);
    }
  });
  src.lines = run.stats.lines - before;
}

const mib = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`;

async function readFile(target: Target, run: Run, src: AuthSource, path: string): Promise<void> {
  const st = await target.stat(path);
  if (!st) throw new TargetError('ENOENT', 'no such file', path);
  if (st.type !== 'file') throw new TargetError('NOT_REGULAR', 'not a regular file', path);
  const referenceMs = st.mtime * 1000;
  const nWorkers = run.o.workers ?? Math.min(Math.max(availableParallelism(), 1), 4);
  const workerUrl = new URL('./auth-worker.js', import.meta.url);
  if (nWorkers >= 2 && st.size >= PARALLEL_MIN_BYTES && !run.onEvent && target.kind !== 'ssh' && existsSync(fileURLToPath(workerUrl))) {
    const head = await sniff(await target.openRead(path, { start: 0, end: 65535 }));
    // drain the probe
    for await (const _ of head.chunks) void _;
    if (!head.compressed && head.format === 'syslog') {
      src.format = 'syslog';
      src.compressed = false;
      src.workers = nWorkers;
      const before = run.stats.lines;
      await parseParallel(target, path, st.size, nWorkers, workerUrl, run, referenceMs, src);
      src.bytes = st.size;
      src.lines = run.stats.lines - before;
      return;
    }
  }
  const stream = await target.openRead(path);
  // a file of this machine: positioned reads into two reused buffers (the stream's fresh 1 MiB
  // chunks cost page faults and garbage collection); gzip keeps the stream
  const fd = target.kind !== 'ssh' ? (stream as Readable & { fd?: unknown }).fd : undefined;
  if (typeof fd === 'number') {
    try {
      if (await readFd(run, src, fd, referenceMs, st.size)) return;
    } finally {
      (stream as Readable).destroy();
    }
    await readStream(run, src, await target.openRead(path), referenceMs, st.size);
    return;
  }
  await readStream(run, src, stream, referenceMs, st.size);
}

const READ = 1 << 20;

function readAt(fd: number, buf: Buffer, pos: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Reads a plain (not gzip) file through its descriptor; false (nothing read) when it is gzip. */
async function readFd(run: Run, src: AuthSource, fd: number, referenceMs: number, total: number): Promise<boolean> {
  const bufs = [Buffer.allocUnsafe(READ), Buffer.allocUnsafe(READ)];
  let n = await readAt(fd, bufs[0]!, 0);
  const first = bufs[0]!.subarray(0, n);
  if (isGzip(first)) return false;
  src.format = formatOf(first);
  src.compressed = false;
  src.workers = 0;
  const before = run.stats.lines;
  const splitter = splitterFor(src.format, { stats: run.stats, opts: run.opts, referenceMs, offsetMinutes: run.o.offsetMinutes, onEvent: run.onEvent });
  let pos = 0;
  let shown = 0;
  // the splitter keeps at most the tail of the previous chunk: two buffers in turn suffice
  for (let i = 0; n > 0; i ^= 1) {
    splitter.push(bufs[i]!.subarray(0, n));
    pos += n;
    if (run.o.onProgress && pos - shown > 16 << 20) {
      shown = pos;
      run.o.onProgress(`${src.name}: ${mib(pos)} of ${mib(total)}`);
    }
    n = await readAt(fd, bufs[i ^ 1]!, pos);
  }
  splitter.end();
  src.bytes = splitter.bytes;
  src.lines = run.stats.lines - before;
  return true;
}

/** Offset of the first byte after the first newline at or after `pos` (the end when there is none). */
async function nextLineStart(target: Target, path: string, pos: number, size: number): Promise<number> {
  let p = pos;
  while (p < size) {
    const s = await target.openRead(path, { start: p, end: Math.min(p + 65535, size - 1) });
    let off = p;
    for await (const c of s as AsyncIterable<Buffer>) {
      const i = c.indexOf(10);
      if (i >= 0) {
        (s as Readable).destroy?.();
        return off + i + 1;
      }
      off += c.length;
    }
    p = off;
  }
  return size;
}

async function parseParallel(target: Target, path: string, size: number, n: number, url: URL, run: Run, referenceMs: number, src: AuthSource): Promise<void> {
  const cuts = [0];
  for (let i = 1; i < n; i++) cuts.push(await nextLineStart(target, path, Math.floor((size * i) / n), size));
  cuts.push(size);
  let done = 0;
  let shown = 0;
  const progress = (bytes: number): void => {
    done += bytes;
    if (run.o.onProgress && done - shown > 32 << 20) {
      shown = done;
      run.o.onProgress(`${src.name}: ${mib(done)} of ${mib(size)} (${n} threads)`);
    }
  };
  // a file of this machine (live or a mounted image): opened once through the Target (its checks), then each worker reads its range
  // through the descriptor itself (positioned reads) instead of the main thread copying chunks over
  const opened = target.kind !== 'ssh' ? ((await target.openRead(path, { start: 0, end: Math.max(size - 1, 0) })) as Readable & { fd?: unknown }) : undefined;
  const fd = typeof opened?.fd === 'number' ? opened.fd : undefined;
  try {
    // allSettled: the descriptor is closed only once no worker reads it any more
    const settled = await Promise.allSettled(
      cuts.slice(0, -1).map(async (start, i) => {
        const end = Math.max(cuts[i + 1]!, start);
        const data: WorkerInput = {
          opts: { ...run.opts, seam: true },
          referenceMs,
          offsetMinutes: run.o.offsetMinutes,
          ...(fd !== undefined ? { fd, start, end } : {}),
          // the first range goes on from the previous file's pending `Invalid user` lines; the others look behind their start
          ...(i === 0 ? { pending: [...run.stats.pendingInvalid] } : {}),
        };
        const worker = new Worker(url, { workerData: data });
        try {
          return await new Promise<AuthStats>((resolve, reject) => {
            let inflight = 0;
            let wake: (() => void) | null = null;
            worker.on('error', reject);
            worker.on('exit', (code) => reject(new Error(`auth-review worker exited with ${code}`)));
            worker.on('message', (m: { type: 'ack' } | { type: 'progress'; bytes: number } | { type: 'done'; stats: AuthStats }) => {
              if (m.type === 'ack') {
                inflight--;
                const w = wake;
                wake = null;
                w?.();
              } else if (m.type === 'progress') progress(m.bytes);
              else resolve(m.stats);
            });
            if (fd !== undefined) return;
            void (async () => {
              if (end > start) {
                const stream = await target.openRead(path, { start, end: end - 1 });
                for await (const c of stream as AsyncIterable<Buffer>) {
                  worker.postMessage({ type: 'chunk', data: c });
                  progress(c.length);
                  if (++inflight >= 4) await new Promise<void>((r) => (wake = r));
                }
              }
              worker.postMessage({ type: 'end' });
            })().catch(reject);
          });
        } finally {
          void worker.terminate();
        }
      }),
    );
    const failed = settled.find((p) => p.status === 'rejected');
    if (failed) throw failed.reason;
    // byte ranges are in file order, so lines of part i come before those of part i+1
    for (const p of settled) if (p.status === 'fulfilled') mergeStats(run.stats, p.value, run.opts.tail, run.opts);
  } finally {
    opened?.destroy();
  }
}

async function readJournal(target: Target, run: Run, src: AuthSource): Promise<void> {
  const argv = ['journalctl', '-o', 'json', '--no-pager', '-q'];
  for (const p of AUTH_PROGRAMS) argv.push('-t', p);
  if (run.o.since !== undefined) argv.push(`--since=@${Math.floor(run.o.since / 1000)}`);
  if (run.o.until !== undefined) argv.push(`--until=@${Math.ceil(run.o.until / 1000)}`);
  const max = run.o.journalMaxBytes ?? 256 << 20;
  run.o.onProgress?.('journalctl -o json');
  const r = await target.exec(argv, { privileged: true, maxBuffer: max, timeoutMs: 300_000 });
  if (r.code !== 0 && r.stdout.length === 0) {
    throw new TargetError('IO', `journalctl exited ${r.code ?? r.signal}: ${r.stderr.toString('utf8').trim().split('\n')[0] ?? ''}`);
  }
  if (r.stdout.length >= max) src.error = `output cut at ${mib(max)}: narrow it with --since`;
  await readStream(run, src, Readable.from([r.stdout]), Date.now());
  src.format = 'journal-json' satisfies InputFormat;
}

/** JSONL for Timesketch: `message`, `datetime`, `timestamp_desc`, plus the parsed attributes. */
class TimelineWriter {
  private fd: number;
  private buf: string[] = [];
  private size = 0;

  constructor(path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      throw new TargetError('IO', `--timeline ${path}: ${(err as Error).message}`);
    }
  }

  write(e: AuthEvent, source: string): void {
    const line = JSON.stringify({
      message: e.raw,
      datetime: new Date(e.ts).toISOString(),
      timestamp_desc: 'Event Recorded',
      data_type: `linux:auth:${e.kind}`,
      kind: e.kind,
      hostname: e.host,
      program: e.program,
      pid: e.pid,
      username: e.user,
      source_ip: e.ip,
      source_port: e.port,
      method: e.method,
      invalid_user: e.invalidUser,
      key_type: e.keyType,
      fingerprint: e.fingerprint,
      command: e.command,
      target_user: e.targetUser,
      tty: e.tty,
      cwd: e.cwd,
      detail: e.detail,
      source_file: source,
    });
    this.buf.push(line);
    this.size += line.length + 1;
    if (this.size > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join('\n') + '\n');
    this.buf = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
