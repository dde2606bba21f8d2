import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IrError } from '../core/errors.js';
import type { Policy } from '../core/policy.js';
import type { PositionedFile } from '../host/positioned.js';
import { listOrEmpty, TargetError, type DeclaredInputs, type Target } from '../host/target.js';
import type { AuthEvent } from './auth-event.js';
import { AUTH_PROGRAMS } from './auth-parse.js';
import { buildReport, type AuthReport, type AuthSource } from './auth-report.js';
import { formatOf, isGzip, scanChunks, sniff, splitterFor, type InputFormat } from './auth-scan.js';
import { canonAddr, endSource, mergeStats, newStats, type AuthStats, type StatsOptions } from './auth-stats.js';
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

/** Largest log the batch brings whole over ssh (spooled on disk here); a larger one streams through pipelined sftp reads. */
const BATCH_LOG_BYTES = 32 << 20;

/** A path that reads as itself in a declaration (no space, glob or brace); others are read when asked. */
const declarable = (p: string): boolean => /^\/[\w@%+=:,./-]*$/.test(p);

/** The argv of the journal read, the same for the batch that declares it and the read itself. */
export function journalArgv(o: Pick<AuthReviewOptions, 'since' | 'until'>): string[] {
  const argv = ['journalctl', '-o', 'json', '--no-pager', '-q'];
  for (const p of AUTH_PROGRAMS) argv.push('-t', p);
  if (o.since !== undefined) argv.push(`--since=@${Math.floor(o.since / 1000)}`);
  if (o.until !== undefined) argv.push(`--until=@${Math.ceil(o.until / 1000)}`);
  return argv;
}

/**
 * What a review reads, declared for one batch over ssh (docs/remote.md): the files named, else
 * /var/log's auth.log and secure with their rotations; with --journal, the journalctl read.
 */
export function authReviewInputs(o: Pick<AuthReviewOptions, 'files' | 'journal' | 'since' | 'until'>): DeclaredInputs {
  const named = o.files.filter((f) => f !== '-');
  const paths = o.files.length === 0 && !o.journal ? [LOG_DIR, `${LOG_DIR}/auth.log*`, `${LOG_DIR}/secure*`] : named.filter(declarable);
  return { paths, commands: o.journal ? [journalArgv(o)] : [] };
}

/**
 * The review of one host. Over ssh the logs come in one batch (one sudo, no sftp for a log under
 * 32 MiB); fail2ban is asked while they are read, not after.
 */
export async function reviewAuth(host: Target, o: AuthReviewOptions): Promise<AuthReport> {
  // fail2ban's answer does not depend on the logs: asked now, awaited at the end
  const bannedP = o.banned?.();
  bannedP?.catch(() => {});
  const inputs = authReviewInputs(o);
  const target = (inputs.paths.length || inputs.commands?.length ? await host.prefetch?.(inputs, { maxFileBytes: BATCH_LOG_BYTES, followUpMaxFileBytes: BATCH_LOG_BYTES, commandTimeoutMs: 300_000, shells: 0 }) : undefined) ?? host;
  try {
    return await review(target, o, bannedP);
  } finally {
    if (target !== host) await target.close();
  }
}

async function review(target: Target, o: AuthReviewOptions, bannedP: ReturnType<NonNullable<AuthReviewOptions['banned']>> | undefined): Promise<AuthReport> {
  // addresses compare in their one spelling (2001:DB8::1 is 2001:db8::1; ::ffff:192.0.2.1 is 192.0.2.1)
  if (o.ip !== undefined) o = { ...o, ip: canonAddr(o.ip) };
  const opts: StatsOptions = { since: o.since, until: o.until, ip: o.ip, user: o.user, bruteThreshold: o.bruteThreshold, bruteWindowMs: o.bruteWindowMs, tail: o.tail };
  const stats = newStats();
  const warnings: string[] = [];
  const errors: string[] = [];
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
  /** one input: read, its PAM failures settled (endSource), its own counts, its error kept */
  const read = async (name: string, fn: (src: AuthSource) => Promise<void>): Promise<void> => {
    const src: AuthSource = { name };
    sources.push(src);
    if (timeline) run.onEvent = (e) => timeline.write(e, src.name);
    const before = { lines: stats.lines, unparsed: stats.unparsed, auth: stats.authLines, unknown: stats.authUnknown };
    try {
      await fn(src);
    } catch (err) {
      src.error = errText(err);
      // a file that is not there is a note; one that is there and could not be read (fully) is an error
      if (err instanceof TargetError && err.code === 'ENOENT') warnings.push(`${src.name}: ${src.error}`);
      else errors.push(`${src.name}: ${src.error}${stats.lines > before.lines ? ` after ${num(stats.lines - before.lines)} lines: the rest was not read` : ''}`);
    } finally {
      const pam = endSource(stats, opts);
      if (pam > 0) src.pamFailures = pam;
      src.lines = stats.lines - before.lines;
      src.unparsed = stats.unparsed - before.unparsed;
      src.authLines = stats.authLines - before.auth;
      src.authUnrecognised = stats.authUnknown - before.unknown;
    }
  };
  try {
    for (const f of files) {
      if (f === '-') await read('(stdin)', (src) => readStream(run, src, o.stdin ?? process.stdin, Date.now()));
      else await read(f, (src) => readFile(target, run, src, f));
    }
    if (o.journal) await read('journal', (src) => readJournal(target, run, src));
  } finally {
    timeline?.close();
  }
  if (sources.length > 0 && sources.every((s) => s.error) && stats.lines === 0) {
    throw new TargetError('IO', `no log could be read: ${sources.map((s) => `${s.name}: ${s.error}`).join('; ')}`);
  }
  understood(stats, sources, warnings, errors);
  let banned: Map<string, string[]> | null = null;
  let fail2banError: string | undefined;
  if (bannedP) {
    const b = await bannedP;
    banned = b.banned && new Map([...b.banned].map(([ip, jails]) => [canonAddr(ip), jails]));
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
    errors,
  });
}

const num = (n: number): string => n.toLocaleString('en-US');
const names = (sources: AuthSource[]): string => sources.map((s) => s.name).join(', ') || 'the input';

/**
 * Never a quiet week from a log ir cannot read: lines of auth programs of which none was recognised
 * are an error (the whole run, when it is every input's case: one line, exit 2), more than half not
 * recognised a warning; lines without any syslog header or journal record likewise. An input with
 * no auth line at all (empty, after logrotate, outside --since) is not an error.
 */
function understood(stats: AuthStats, sources: AuthSource[], warnings: string[], errors: string[]): void {
  const lines = (n: number, what = 'lines') => `${num(n)} ${n === 1 ? what.replace(/s$/, '') : what}`;
  const unreadable = (n: number) => `${lines(n)} read, none with a syslog header or a journal record: not a log format ir reads`;
  const none = (n: number) => `${lines(n, 'sshd/PAM lines')} read, none recognised: not a format ir reads (docs/auth-review.md lists those it does)`;
  const read = sources.filter((s) => !s.error || (s.lines ?? 0) > 0);
  if (stats.lines > 0 && stats.unparsed === stats.lines) throw new IrError(`${names(read)}: ${unreadable(stats.lines)}`);
  if (stats.authLines > 0 && stats.authUnknown === stats.authLines) throw new IrError(`${names(read)}: ${none(stats.authLines)}`);
  for (const s of read) {
    const n = s.lines ?? 0;
    const auth = s.authLines ?? 0;
    const unknown = s.authUnrecognised ?? 0;
    if (n > 0 && n === s.unparsed) errors.push(`${s.name}: ${unreadable(n)}`);
    else if (auth > 0 && unknown === auth) errors.push(`${s.name}: ${none(auth)}`);
    else if (unknown * 2 > auth) warnings.unshift(`${s.name}: ${num(unknown)} of ${num(auth)} sshd/PAM lines not recognised: the counts below may be low`);
  }
}

function errText(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  // zlib's words for a cut archive
  return /unexpected end of file/i.test(m) ? 'gzip data cut short (unexpected end of file): a truncated archive' : m;
}

async function readStream(run: Run, src: AuthSource, stream: NodeJS.ReadableStream, referenceMs: number, total?: number): Promise<void> {
  const sn = await sniff(stream);
  src.format = sn.format;
  src.compressed = sn.compressed;
  src.workers = 0;
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
}

const mib = (n: number): string => `${(n / 1048576).toFixed(0)} MiB`;

/**
 * One file of the target. Where the target can open it for positioned reads (a file of this
 * machine: the local host, an offline image), a plain file is read through two reused buffers, by
 * worker threads in byte ranges when it is large; gzip, and every file of a target without that
 * capability (ssh), is streamed.
 */
async function readFile(target: Target, run: Run, src: AuthSource, path: string): Promise<void> {
  const st = await target.stat(path);
  if (!st) throw new TargetError('ENOENT', 'no such file', path);
  if (st.type !== 'file') throw new TargetError('NOT_REGULAR', 'not a regular file', path);
  const referenceMs = st.mtime * 1000;
  const file = target.openPositioned ? await target.openPositioned(path) : null;
  if (!file) return readStream(run, src, await target.openRead(path), referenceMs, st.size);
  let gzip = false;
  try {
    const head = Buffer.allocUnsafe(64 << 10);
    const first = head.subarray(0, await file.read(head, 0));
    gzip = isGzip(first);
    if (!gzip) {
      const format = formatOf(first);
      const nWorkers = run.o.workers ?? Math.min(Math.max(availableParallelism(), 1), 4);
      const workerUrl = new URL('./auth-worker.js', import.meta.url);
      if (nWorkers >= 2 && file.size >= PARALLEL_MIN_BYTES && format === 'syslog' && !run.onEvent && existsSync(fileURLToPath(workerUrl))) {
        await parseParallel(file, nWorkers, workerUrl, run, referenceMs, src);
      } else await readPositioned(file, format, run, referenceMs, src);
    }
  } finally {
    await file.close();
  }
  if (gzip) await readStream(run, src, await target.openRead(path), referenceMs, st.size);
}

/** A plain file through two reused 1 MiB buffers (the splitter keeps at most the tail of the chunk before). */
async function readPositioned(file: PositionedFile, format: InputFormat, run: Run, referenceMs: number, src: AuthSource): Promise<void> {
  src.format = format;
  src.compressed = false;
  src.workers = 0;
  const splitter = splitterFor(format, { stats: run.stats, opts: run.opts, referenceMs, offsetMinutes: run.o.offsetMinutes, onEvent: run.onEvent });
  let pos = 0;
  let shown = 0;
  // to the end as it is now: a log written to meanwhile is read as far as it goes
  await file.forEachChunk(0, Infinity, (c) => {
    splitter.push(c);
    pos += c.length;
    if (run.o.onProgress && pos - shown > 16 << 20) {
      shown = pos;
      run.o.onProgress(`${src.name}: ${mib(pos)} of ${mib(file.size)}`);
    }
  });
  splitter.end();
  src.bytes = splitter.bytes;
}

/**
 * A large plain file in newline-aligned byte ranges, one worker thread each: every worker reads its
 * range through the file's descriptor (positioned reads, nothing copied through this thread), and
 * the partial stats are merged in file order (auth-stats.ts mergeStats) into the one-thread report.
 */
async function parseParallel(file: PositionedFile, n: number, url: URL, run: Run, referenceMs: number, src: AuthSource): Promise<void> {
  const size = file.size;
  src.format = 'syslog';
  src.compressed = false;
  src.workers = n;
  const cuts = [0];
  for (let i = 1; i < n; i++) {
    const nl = await file.indexOf(10, Math.floor((size * i) / n));
    cuts.push(nl < 0 ? size : Math.max(nl + 1, cuts.at(-1)!));
  }
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
  // allSettled: the descriptor is closed (by readFile) only once no worker reads it any more
  const settled = await Promise.allSettled(
    cuts.slice(0, -1).map(async (start, i) => {
      const data: WorkerInput = {
        opts: { ...run.opts, seam: true },
        referenceMs,
        offsetMinutes: run.o.offsetMinutes,
        fd: file.fd,
        start,
        end: cuts[i + 1]!,
        // the first range goes on from the previous file's pending `Invalid user` lines; the others look behind their start
        ...(i === 0 ? { pending: [...run.stats.pendingInvalid] } : {}),
      };
      const worker = new Worker(url, { workerData: data });
      try {
        return await new Promise<AuthStats>((resolve, reject) => {
          worker.on('error', reject);
          worker.on('exit', (code) => reject(new Error(`auth-review worker exited with ${code}`)));
          worker.on('message', (m: { type: 'progress'; bytes: number } | { type: 'done'; stats: AuthStats }) => {
            if (m.type === 'progress') progress(m.bytes);
            else resolve(m.stats);
          });
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
  src.bytes = size;
}

async function readJournal(target: Target, run: Run, src: AuthSource): Promise<void> {
  const argv = journalArgv(run.o);
  const max = run.o.journalMaxBytes ?? 256 << 20;
  run.o.onProgress?.('journalctl -o json');
  const r = await target.exec(argv, { privileged: true, maxBuffer: max, timeoutMs: 300_000 });
  if (r.code !== 0 && r.stdout.length === 0) {
    throw new TargetError('IO', `journalctl exited ${r.code ?? r.signal}: ${r.stderr.toString('utf8').trim().split('\n')[0] ?? ''}`);
  }
  await readStream(run, src, Readable.from([r.stdout]), Date.now());
  src.format = 'journal-json' satisfies InputFormat;
  // what was read counts; the cut is an error like a truncated archive (the input was not read fully)
  if (r.stdout.length >= max) throw new TargetError('IO', `journalctl output cut at ${mib(max)}: narrow it with --since`);
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
