import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { finished } from 'node:stream/promises';
import { utcNow } from '../../core/time.js';
import { missingProgram } from '../exec.js';
import type { DirEntry, ExecOptions, ExecResult, FileStat, ReadOptions, Target, TargetKind } from '../target.js';
import { TargetError, joinPath } from '../target.js';
import { patternsOfDeclarations, templateSiblings, type DeclaredInputs, type Pattern, type Template } from './declared.js';
import { FrameParser, stderrSink } from './frames.js';
import { makePlan, type BatchPlan } from './plan.js';
import { emptyRoundTrips, type RoundTrips } from './roundtrips.js';
import { batchScript } from './script.js';
import { BatchSession } from './session.js';
import { BatchReceiver, SnapshotStore, Spool, type Lookup, type Spooled } from './store.js';

/**
 * A remote host read in a few round trips (issue 16): one exec streams back, under one `sudo -n`,
 * everything the units about to run declare; the units then read this snapshot at local speed. A
 * read the snapshot cannot answer (a path found in a file's content: an ExecStart target, an Include)
 * waits a few milliseconds so that the misses of every unit running at that moment go to the host
 * together, as one follow-up batch (DataLoader style). After `followUps` of them, or for a file too
 * large to carry, reads go to the host one by one, and the note says how many did.
 */

export interface PrefetchOptions {
  /** largest file the first batch carries whole (default 1 MiB: detectors read configuration) */
  maxFileBytes?: number;
  /** largest file a follow-up carries (default 16 MiB); larger ones are read from the host */
  followUpMaxFileBytes?: number;
  /** the whole batch stream is cut past this (default 512 MiB): what did not arrive is read per file */
  maxBatchBytes?: number;
  /**
   * follow-up rounds before reads go one by one (default 24: the scan inside containers walks stopped containers' layers one level a round). Each is one round trip on the kept-open
   * shell, never more than the per-file read it replaces: the bound keeps a pathological host (a chain
   * of includes) from turning into hundreds of rounds, not rounds from happening.
   */
  followUps?: number;
  /** where the spool goes (default the system temp dir; collect puts it beside its output) */
  spoolDir?: string;
  timeoutMs?: number;
  /** timeout of each declared command inside the batch */
  commandTimeoutMs?: number;
  /**
   * where the target's `/` lies on the host that runs the batch (an offline image, a container's
   * layer on its host): the walks start under it, and the snapshot answers with the target's paths
   */
  prefix?: string;
  /** where the script runs when that is not the target itself (a target under a prefix) */
  runner?: BatchHost;
  /** a playbook step's stop: the batches and kept-open shells are stopped with it (remote commands killed) */
  signal?: AbortSignal;
  /** kept-open shells for the units' commands (default 2; 0: a channel per command) */
  shells?: number;
  /**
   * a kept-open shell of another snapshot of the same host, used (not owned) for this one's batches:
   * the trees under a host (containers' layers) cost a round trip each, no channel of their own
   */
  session?: BatchSession;
}

/** What a Target needs to offer for a batch: exec with the script on stdin and both outputs streamed. */
export type BatchHost = Pick<Target, 'exec' | 'name'> & { roundTrips?(): RoundTrips };

export interface BatchResult {
  tools: string;
  bytes: number;
}

export class BatchFailed extends Error {}

const firstLine = (b: Buffer | string) => (typeof b === 'string' ? b : b.toString('utf8')).trim().split('\n')[0]?.slice(0, 200) ?? '';

/** Runs one batch on the host and merges it into the store; throws BatchFailed when it could not run or be read. */
export async function runBatch(host: BatchHost, store: SnapshotStore, plan: BatchPlan, opts: { maxBytes: number; timeoutMs: number; signal?: AbortSignal }, rt: RoundTrips): Promise<BatchResult> {
  const nonce = randomBytes(16).toString('hex');
  const receiver = new BatchReceiver(store, plan, utcNow);
  const out = new FrameParser(nonce, receiver);
  const err = new FrameParser(nonce, stderrSink((key, buf) => receiver.commandStderr(key, buf)), { stderr: true });
  // errors are kept by the parsers (failed); these only keep an 'error' event from being unhandled
  out.on('error', () => {});
  err.on('error', () => {});
  const before = store.spool.size;
  const t0 = performance.now();
  rt.batches++;
  let res: ExecResult;
  try {
    res = await host.exec(['sh', '-s'], { input: batchScript(plan, nonce), stdoutTo: out, stderrTo: err, maxBuffer: opts.maxBytes, timeoutMs: opts.timeoutMs, privileged: true, ...(opts.signal ? { signal: opts.signal } : {}) });
  } finally {
    out.end();
    err.end();
    await Promise.all([finished(out).catch(() => {}), finished(err).catch(() => {})]);
    rt.batchBytes += store.spool.size - before;
  }
  if (!out.sawHeader) {
    const said = firstLine(res.stderr) || firstLine(out.head) || (res.code === 127 ? 'sh not found' : '') || `exit ${res.code ?? res.signal ?? 'unknown'}`;
    throw new BatchFailed(`the batch did not start on ${host.name} (a restricted shell or a forced command?): ${said}`);
  }
  if (receiver.refusedWhy) throw new BatchFailed(receiver.refusedWhy);
  // a stream cut inside the contents (the byte budget) keeps what arrived whole; before them it is no batch
  if (out.failed && !out.sawEnd) throw new BatchFailed(`the batch stream could not be read: ${out.failed.message}`);
  if (!out.sawEnd) throw new BatchFailed(res.timedOut ? `the batch timed out after ${opts.timeoutMs / 1000} s` : `the batch ended early (${firstLine(res.stderr) || `exit ${res.code ?? res.signal}`})`);
  receiver.finish();
  if (process.env.IR_DEBUG_BATCH) process.stderr.write(`batch: ${Math.round(performance.now() - t0)} ms, ${store.spool.size - before} bytes of contents\n`);
  const h = receiver.tools!;
  const tools = [h.find, h.tar || 'no GNU tar: contents by cat'].filter(Boolean).join(', ');
  return { tools, bytes: store.spool.size - before };
}

type Need = { what: 'meta' | 'list' | 'content'; path: string };

/** Misses of every unit running at the same moment, sent as one follow-up batch. */
class FollowUps {
  private queue: Need[] = [];
  private waiting: (() => void)[] = [];
  private timer?: NodeJS.Timeout;
  private firstAt = 0;
  private running: Promise<void> = Promise.resolve();
  /** what was asked, and the round that brings it: a second unit asking the same waits for the same round */
  private readonly asked = new Map<string, Promise<boolean>>();
  rounds = 0;
  /** reads that went per file because the follow-ups were spent */
  pastLimit = 0;
  firstPastLimit?: string;
  broken?: string;

  constructor(
    private readonly run: (needs: Need[]) => Promise<void>,
    private readonly max: number,
  ) {}

  /** Resolves true once a follow-up that asked for `n` has merged, false when none will. */
  need(n: Need): Promise<boolean> {
    const key = `${n.what}:${n.path}`;
    const had = this.asked.get(key);
    if (had) return had;
    if (this.broken) return Promise.resolve(false);
    if (this.rounds >= this.max) {
      this.pastLimit++;
      this.firstPastLimit ??= n.path;
      return Promise.resolve(false);
    }
    this.queue.push(n);
    const now = Date.now();
    if (!this.timer) this.firstAt = now;
    clearTimeout(this.timer);
    // a few ms of quiet (every running unit has reached its next miss), at most 40 ms after the first
    this.timer = setTimeout(() => this.flush(), Math.max(0, Math.min(6, this.firstAt + 40 - now)));
    const p = new Promise<boolean>((resolve) => this.waiting.push(() => resolve(true)));
    this.asked.set(key, p);
    return p;
  }

  private flush(): void {
    this.timer = undefined;
    const needs = this.queue;
    const waiting = this.waiting;
    this.queue = [];
    this.waiting = [];
    this.rounds++;
    this.running = this.running.then(async () => {
      try {
        await this.run(needs);
      } catch (err) {
        this.broken = (err as Error).message;
      }
      for (const w of waiting) w();
    });
  }
}

/** A path as a literal pattern (its names are names, not globs). */
function literal(path: string, extra: string[], content: Pattern['content']): Pattern | null {
  const comps = path.split('/').filter(Boolean);
  if (path.includes('\n') || comps.length === 0) return null;
  return { base: '/', comps: [...comps, ...extra], content, literalUpTo: comps.length };
}

/** A view of another target: its name and kind, and its capabilities (alive, xattrs) passed through. */
abstract class View {
  readonly kind: TargetKind;
  readonly name: string;
  readonly live: boolean;
  alive?: () => Promise<boolean>;
  xattrs?: (path: string, names?: string[]) => Promise<Record<string, Buffer>>;

  constructor(protected readonly inner: Target) {
    this.kind = inner.kind;
    this.name = inner.name;
    this.live = inner.live;
    if (inner.alive) this.alive = () => inner.alive!();
    if (inner.xattrs) this.xattrs = (p, n) => inner.xattrs!(p, n);
  }

  readBy(path: string): string | undefined {
    return this.inner.readBy?.(path);
  }
}

export class SnapshotTarget extends View implements Target {
  private readonly followUps: FollowUps;
  private readonly servedCommands = new Set<string>();
  /** directories a follow-up listed */
  private readonly listed = new Set<string>();

  constructor(
    inner: Target,
    private readonly store: SnapshotStore,
    private readonly rt: RoundTrips,
    private readonly opts: Required<Pick<PrefetchOptions, 'followUpMaxFileBytes' | 'maxBatchBytes' | 'timeoutMs'>> & PrefetchOptions,
    private readonly first: BatchResult,
    private readonly templates: Template[] = [],
    private readonly session?: BatchSession,
    /** kept-open shells for the commands the units run (one round trip each instead of three and a sudo) */
    private readonly shells: BatchSession[] = [],
    /** the session is another snapshot's: closing this one leaves it open */
    private readonly sharedSession = false,
  ) {
    super(inner);
    this.followUps = new FollowUps((needs) => this.followUp(needs), opts.followUps ?? 24);
  }

  private async followUp(needs: Need[]): Promise<void> {
    if (process.env.IR_DEBUG_BATCH) process.stderr.write(`follow-up ${this.followUps.rounds}: ${needs.map((n) => `${n.what} ${n.path}`).join(', ')}\n`);
    const patterns: Pattern[] = [];
    const add = (p: Pattern | null) => p && patterns.push(p);
    for (const n of needs) {
      if (n.what === 'list') {
        // a directory listed right after its parent is a walk going down: the rest of its tree in one go
        add(this.listed.has(posix.dirname(n.path)) ? literal(n.path, ['**'], false) : literal(n.path, ['*'], true));
        this.listed.add(n.path);
      } else add(literal(n.path, [], true));
      // the other files of the same process the units declare (a container's status, mounts, routes, net tables)
      for (const sib of templateSiblings(n.path, this.templates)) if (sib !== n.path) add(literal(sib, [], true));
      // a unit that reads one file of a small directory reads the next one soon (authorized_keys/%u):
      // the small files beside it come along
      const dir = posix.dirname(n.path);
      if (n.what === 'content' && this.store.isComplete(dir) && this.store.list(dir).length <= 128) add({ ...literal(dir, ['*'], 'small')! });
    }
    if (patterns.length === 0) return;
    const plan = makePlan(patterns, { maxFileBytes: needs.some((n) => n.what === 'content') ? this.opts.followUpMaxFileBytes : (this.opts.maxFileBytes ?? 1 << 20), prefix: this.opts.prefix });
    if (this.session && !this.session.dead) {
      try {
        return await this.session.request(this.store, plan);
      } catch {
        // the session is gone: this round and the next as a batch of their own
      }
    }
    await runBatch(this.runner, this.store, plan, { maxBytes: this.opts.maxBatchBytes, timeoutMs: this.opts.timeoutMs, signal: this.opts.signal }, this.rt);
  }

  private get runner(): BatchHost {
    return this.opts.runner ?? this.inner;
  }

  /**
   * More declarations on the same snapshot (a scan inside a sweep or a collect): one more batch into
   * the same store, and this target again (its owner closes it, not the nested unit).
   */
  async prefetch(inputs: DeclaredInputs): Promise<Target> {
    const { patterns, netnsFiles, templates } = patternsOfDeclarations(inputs);
    for (const t of templates) if (!this.templates.some((u) => u.comps.join('/') === t.comps.join('/'))) this.templates.push(t);
    const plan = makePlan(patterns, { maxFileBytes: this.opts.maxFileBytes ?? 1 << 20, commands: inputs.commands, commandTimeoutMs: this.opts.commandTimeoutMs, netnsFiles, prefix: this.opts.prefix });
    try {
      if (this.session && !this.session.dead && plan.commands.length === 0) await this.session.request(this.store, plan);
      else await runBatch(this.runner, this.store, plan, { maxBytes: this.opts.maxBatchBytes, timeoutMs: this.opts.timeoutMs, signal: this.opts.signal }, this.rt);
    } catch {
      // what it would have read comes through the follow-ups and the host
    }
    return this;
  }

  /** A tree under this host (a container's layer, its running root), its batches on this snapshot's kept-open shell. */
  prefetchUnder(prefix: string, inputs: DeclaredInputs): Promise<Target> {
    const session = this.session && !this.session.dead ? this.session : undefined;
    return openUnder(this.inner, prefix, inputs, { runner: this.runner, ...(session ? { session } : {}), ...(this.opts.signal ? { signal: this.opts.signal } : {}) });
  }

  /** The snapshot's answer, after one follow-up when it had none; null when the host must be asked directly. */
  private async lookup(path: string, follow: boolean): Promise<Lookup> {
    let l = this.store.resolve(path, follow);
    if (l.kind !== 'unknown') return l;
    this.rt.misses++;
    if (await this.followUps.need({ what: 'meta', path: l.missing })) l = this.store.resolve(path, follow);
    return l;
  }

  private served<T>(v: T): T {
    this.rt.served++;
    return v;
  }

  reading(): { mode: 'batch'; note: string } {
    return { mode: 'batch', note: this.note() };
  }

  private note(): string {
    const f = this.followUps;
    const parts = [`read in batches (${this.first.tools}): ${1 + f.rounds} batch(es), ${this.rt.batchBytes} bytes, ${this.rt.served} reads answered from them`];
    if (f.pastLimit) parts.push(`${f.pastLimit} read(s) found deeper than ${f.rounds} follow-up batch(es) went to the host one by one (first: ${f.firstPastLimit})`);
    if (f.broken) parts.push(`a follow-up batch failed (${f.broken}): later reads went to the host one by one`);
    return parts.join('; ');
  }

  roundTrips(): RoundTrips {
    return this.rt;
  }

  override readBy(path: string): string | undefined {
    const l = this.store.resolve(path, false);
    if (l.kind !== 'found') return this.inner.readBy?.(path);
    if (l.stat.type === 'symlink') return 'ssh batch';
    const c = this.store.content(l.path);
    return c && c !== 'vanished' ? `ssh batch (${c.via})` : this.inner.readBy?.(path);
  }

  async lstat(path: string): Promise<FileStat | null> {
    const l = await this.lookup(path, false);
    if (l.kind === 'found') return this.served(l.stat);
    if (l.kind === 'absent' || l.kind === 'notdir') return this.served(null);
    return this.inner.lstat(path);
  }

  async stat(path: string): Promise<FileStat | null> {
    const l = await this.lookup(path, true);
    if (l.kind === 'found') return this.served(l.stat);
    if (l.kind === 'absent' || l.kind === 'notdir' || l.kind === 'loop') return this.served(null);
    return this.inner.stat(path);
  }

  async list(dir: string): Promise<DirEntry[]> {
    let l = await this.lookup(dir, true);
    if (l.kind === 'absent') throw new TargetError('ENOENT', `${dir}: no such file or directory`, dir);
    if (l.kind === 'notdir') throw new TargetError('ENOTDIR', `${dir}: not a directory`, dir);
    if (l.kind === 'found' && l.stat.type !== 'dir') throw new TargetError('ENOTDIR', `${dir}: not a directory`, dir);
    if (l.kind === 'found' && !this.store.isComplete(l.path) && !this.store.unreadable.has(l.path)) {
      this.rt.misses++;
      if (await this.followUps.need({ what: 'list', path: l.path })) l = this.store.resolve(dir, true);
    }
    if (l.kind === 'found' && this.store.isComplete(l.path)) return this.served(this.store.list(l.path).map((e) => ({ name: e.name, path: joinPath(dir, e.name), stat: e.stat })));
    return this.inner.list(dir);
  }

  async readlink(path: string): Promise<string> {
    const l = await this.lookup(path, false);
    if (l.kind === 'absent') throw new TargetError('ENOENT', `${path}: no such file or directory`, path);
    if (l.kind === 'notdir') throw new TargetError('ENOTDIR', `${path}: not a directory`, path);
    if (l.kind === 'found') {
      if (l.stat.type !== 'symlink') throw new TargetError('IO', `${path}: not a symbolic link`, path);
      if (!l.link) throw new TargetError('ENOENT', `${path}: no such file or directory`, path);
      return this.served(l.link);
    }
    return this.inner.readlink(path);
  }

  /** The spooled content of a regular file, after a follow-up when it is small enough; null: ask the host. */
  private async contentOf(path: string, follow: boolean): Promise<{ at: Spooled } | { error: TargetError } | null> {
    const ns = this.store.netnsContent(path);
    if (ns) return { at: ns };
    // /proc and /sys files read by cat at the path asked (links on the way followed by the host)
    const named = /^\/(proc|sys)\//.test(path) ? this.store.content(posix.normalize(path)) : undefined;
    if (named === 'vanished') return { error: new TargetError('ENOENT', `${path}: no such file or directory`, path) };
    if (named) return { at: named };
    let l = await this.lookup(path, follow);
    for (let attempt = 0; ; attempt++) {
      if (l.kind === 'absent') return { error: new TargetError('ENOENT', `${path}: no such file or directory`, path) };
      if (l.kind === 'notdir') return { error: new TargetError('ENOTDIR', `${path}: not a directory`, path) };
      if (l.kind === 'loop') return { error: new TargetError('ELOOP', `${path}: too many levels of symbolic links`, path) };
      if (l.kind === 'unknown' || l.kind === 'host') return null;
      if (l.stat.type !== 'file') return { error: new TargetError(l.stat.type === 'dir' ? 'EISDIR' : 'NOT_REGULAR', `${path}: not a regular file (${l.stat.type})`, path) };
      const c = this.store.content(l.path);
      if (c === 'vanished') return { error: new TargetError('ENOENT', `${path}: no such file or directory`, path) };
      if (c) return { at: c };
      // unreadable to the batch's user, or too large to carry: the host says it itself
      if (attempt > 0 || this.store.unreadable.has(l.path) || l.stat.size > this.opts.followUpMaxFileBytes) return null;
      this.rt.misses++;
      if (!(await this.followUps.need({ what: 'content', path: l.path }))) return null;
      l = this.store.resolve(path, follow);
    }
  }

  async readFile(path: string, opts: ReadOptions & { follow?: boolean } = {}): Promise<Buffer> {
    const c = await this.contentOf(path, opts.follow ?? true);
    if (c && 'error' in c) throw c.error;
    if (c) return this.served(await this.store.spool.read(c.at, opts.maxBytes ?? 16 * 1024 * 1024));
    return this.inner.readFile(path, opts);
  }

  async openRead(path: string, opts: { start?: number; end?: number } = {}): Promise<NodeJS.ReadableStream> {
    const c = await this.contentOf(path, false);
    if (c && 'error' in c) throw c.error;
    if (c) return this.served(await this.store.spool.stream(c.at, opts.start ?? 0, opts.end ?? Number.MAX_SAFE_INTEGER));
    return this.inner.openRead(path, opts);
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const key = JSON.stringify(argv);
    const out = this.store.commands.get(key);
    const plain = !opts.stdoutTo && !opts.stderrTo && opts.input === undefined && !opts.stdin;
    // a command is answered from the batch once, with the options the batch ran it with
    if (!out || !plain || this.servedCommands.has(key)) {
      const shell = plain ? this.shells.find((s) => s.take()) : undefined;
      if (!shell) return this.inner.exec(argv, opts);
      this.rt.execs++;
      let res: ExecResult;
      try {
        res = await shell.run(argv, opts);
      } catch {
        // the shell is gone: a channel of its own, as before
        return this.inner.exec(argv, opts);
      }
      if (missingProgram(res)) throw new TargetError('ENOENT', `${argv[0]}: command not found on ${this.name}`, argv[0]);
      return res;
    }
    this.servedCommands.add(key);
    const killed = out.status === 137;
    const res: ExecResult = {
      argv,
      stdout: await this.store.spool.read(out.stdout, opts.maxBuffer ?? 64 * 1024 * 1024),
      stderr: out.stderr,
      code: killed ? null : out.status,
      ...(killed ? { signal: 'SIGKILL', timedOut: true } : {}),
      startedAt: out.startedAt,
      endedAt: out.endedAt,
    };
    if (missingProgram(res)) throw new TargetError('ENOENT', `${argv[0]}: command not found on ${this.name}`, argv[0]);
    return this.served(res);
  }

  /** The spool and the kept-open shells go; the host stays open (its owner closes it). */
  async close(): Promise<void> {
    if (!this.sharedSession) this.session?.close();
    for (const s of this.shells) s.close();
    await this.store.spool.remove();
  }
}

/** A host whose batch could not run: read per file, as before, with the reason kept for the output and the acquisition log. */
export class PerFileTarget extends View implements Target {
  roundTrips?: () => RoundTrips;

  constructor(
    inner: Target,
    private readonly reason: string,
  ) {
    super(inner);
    if (inner.roundTrips) this.roundTrips = () => inner.roundTrips!();
  }

  reading(): { mode: 'per-file'; note: string } {
    return { mode: 'per-file', note: `read per file: ${this.reason}` };
  }

  lstat(path: string) {
    return this.inner.lstat(path);
  }
  stat(path: string) {
    return this.inner.stat(path);
  }
  list(dir: string) {
    return this.inner.list(dir);
  }
  readlink(path: string) {
    return this.inner.readlink(path);
  }
  readFile(path: string, opts?: ReadOptions) {
    return this.inner.readFile(path, opts);
  }
  openRead(path: string, opts?: { start?: number; end?: number }) {
    return this.inner.openRead(path, opts);
  }
  exec(argv: string[], opts?: ExecOptions) {
    return this.inner.exec(argv, opts);
  }
  async close(): Promise<void> {}
}

/** Opens a snapshot of what `inputs` declare; on a host where the batch cannot run, the host itself with a note. */
export async function openSnapshot(inner: Target, inputs: DeclaredInputs, opts: PrefetchOptions = {}): Promise<Target> {
  const rt = inner.roundTrips?.() ?? emptyRoundTrips();
  const o = { followUpMaxFileBytes: 16 * 1024 * 1024, maxBatchBytes: 512 * 1024 * 1024, timeoutMs: 600_000, ...opts };
  const spool = await Spool.create(opts.spoolDir);
  const store = new SnapshotStore(spool);
  const { patterns, netnsFiles, templates } = patternsOfDeclarations(inputs);
  const plan = makePlan(patterns, { maxFileBytes: o.maxFileBytes ?? 1 << 20, commands: inputs.commands, commandTimeoutMs: o.commandTimeoutMs, netnsFiles, prefix: o.prefix });
  const runner = o.runner ?? inner;
  // the follow-up shell starts beside the first batch, so that it is ready when the first misses come;
  // two more for the commands the units run (not under a prefix: no command runs in an image)
  const shared = o.followUps !== 0 && o.session !== undefined && !o.session.dead;
  const session = o.followUps === 0 ? undefined : shared ? o.session : new BatchSession(runner, rt, undefined, o.signal);
  const shells = o.followUps === 0 || o.prefix || (o.shells ?? 2) === 0 ? [] : Array.from({ length: o.shells ?? 2 }, () => new BatchSession(runner, rt, undefined, o.signal));
  try {
    let first: BatchResult | undefined;
    if (shared) {
      // on the other snapshot's shell: one round trip, contents by cat (no tar inside a kept-open stream)
      const before = spool.size;
      first = await session!.request(store, plan).then(
        () => ({ tools: 'on the kept-open shell', bytes: spool.size - before }),
        () => undefined,
      );
    }
    first ??= await runBatch(runner, store, plan, { maxBytes: o.maxBatchBytes, timeoutMs: o.timeoutMs, signal: o.signal }, rt);
    return new SnapshotTarget(inner, store, rt, o, first, templates, session, shells, shared);
  } catch (err) {
    if (!shared) session?.close();
    for (const s of shells) s.close();
    await spool.remove();
    if (err instanceof BatchFailed) return new PerFileTarget(inner, err.message);
    if (err instanceof TargetError && err.code === 'ENOENT') return new PerFileTarget(inner, `sh not found on ${inner.name}`);
    throw err;
  }
}

/**
 * The host's files under a directory, as a target of their own (an image's layer, a running container's
 * /proc/PID/root): what a snapshot under that prefix asks when it has no answer. The tree above
 * (RootedTarget) resolves links itself, inside the tree, and asks only for paths whose directories
 * are plain, so nothing here follows a link: `stat` is `lstat`.
 */
export class UnderPrefix extends View implements Target {
  roundTrips?: () => RoundTrips;

  constructor(
    inner: Target,
    private readonly prefix: string,
  ) {
    super(inner);
    if (inner.roundTrips) this.roundTrips = () => inner.roundTrips!();
  }

  private at(path: string): string {
    return path === '/' ? this.prefix : `${this.prefix}${posix.normalize(`/${path}`)}`;
  }

  lstat(path: string) {
    return this.inner.lstat(this.at(path));
  }
  stat(path: string) {
    return this.inner.lstat(this.at(path));
  }
  async list(dir: string): Promise<DirEntry[]> {
    return (await this.inner.list(this.at(dir))).map((e) => ({ ...e, path: joinPath(dir, e.name) }));
  }
  readlink(path: string) {
    return this.inner.readlink(this.at(path));
  }
  readFile(path: string, opts?: ReadOptions) {
    return this.inner.readFile(this.at(path), opts);
  }
  openRead(path: string, opts?: { start?: number; end?: number }) {
    return this.inner.openRead(this.at(path), opts);
  }
  exec(argv: string[]): Promise<ExecResult> {
    return Promise.reject(new TargetError('ENOENT', `${argv[0]}: no command runs inside ${this.prefix}`, argv[0]));
  }
  override readBy(path: string): string | undefined {
    return this.inner.readBy?.(this.at(path));
  }
  async close(): Promise<void> {}
}

/**
 * A snapshot of what `inputs` declare under `prefix` on `host` (one layer of an image, a running
 * container's root), answering with the paths of the tree under it; the batch runs on `host`.
 */
export async function openUnder(host: Target, prefix: string, inputs: DeclaredInputs, opts: PrefetchOptions = {}): Promise<Target> {
  const inner = new UnderPrefix(host, prefix.replace(/\/+$/, '') || '/');
  if (process.env.IR_BATCH === '0') return new PerFileTarget(inner, 'batches turned off (IR_BATCH=0)');
  return openSnapshot(inner, inputs, { ...opts, prefix, runner: opts.runner ?? host });
}
