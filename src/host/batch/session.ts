import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { utcNow } from '../../core/time.js';
import type { ExecOptions, ExecResult } from '../target.js';
import { DEFAULT_MAX_BUFFER, DEFAULT_TIMEOUT_MS } from '../exec.js';
import { FrameParser, stderrSink, type FrameSink } from './frames.js';
import type { BatchPlan } from './plan.js';
import type { RoundTrips } from './roundtrips.js';
import { sessionCommand, sessionPrelude, sessionRequest } from './script.js';
import { BatchReceiver, type SnapshotStore } from './store.js';
import type { BatchHost } from './snapshot.js';

/** What answers one request: the records of a follow-up (BatchReceiver), or a command's output. */
type Receiver = Partial<FrameSink> & Pick<FrameSink, 'append' | 'spoolSize'> & { finish(): void; commandStderr?(id: string, buf: Buffer): void };

/** A command's outputs as they come, stdout kept up to its maxBuffer. */
class CommandReceiver implements Receiver {
  private readonly out: Buffer[] = [];
  private size = 0;
  private seen = 0;
  status = -1;
  stderr: Buffer = Buffer.alloc(0);
  /** the channel's stderr is its own stream: its end may come after the Q record on stdout */
  readonly stderrDone: Promise<void>;
  private stderrEnded!: () => void;
  constructor(private readonly max: number) {
    this.stderrDone = new Promise((resolve) => (this.stderrEnded = resolve));
  }
  append(buf: Buffer): Promise<void> {
    this.seen += buf.length;
    if (this.size < this.max) {
      const part = buf.subarray(0, this.max - this.size);
      this.out.push(Buffer.from(part));
      this.size += part.length;
    }
    return Promise.resolve();
  }
  spoolSize(): number {
    return this.seen;
  }
  content(_k: 'C' | 'T' | 'X', _key: string, _rel: string, _at: unknown, status: number): void {
    this.status = status;
  }
  commandStderr(_id: string, buf: Buffer): void {
    this.stderr = buf;
    this.stderrEnded();
  }
  finish(): void {}
  stdout(): Buffer {
    return Buffer.concat(this.out, this.size);
  }
}

/**
 * The shell of the follow-up batches, kept open beside the first batch: one `sh -s` under one
 * `sudo -n`, fed one request at a time on its stdin, each answered by records ending with its Q
 * record. A follow-up then costs one round trip instead of a channel, a sudo and a new shell. Contents
 * come by `cat` with framing (a tar stream cannot be told apart from what follows it). When anything
 * goes wrong the session is dead for good and the follow-ups go back to one exec each.
 */
export class BatchSession {
  private readonly stdin = new PassThrough();
  private readonly parser: FrameParser;
  private readonly queue: { id: number; receiver: Receiver; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  /** the host's GNU timeout, when it has one: then commands run here too */
  timeout = false;
  private nextId = 1;
  dead?: Error;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private failReady!: (e: Error) => void;

  constructor(
    host: BatchHost,
    private readonly rt: RoundTrips,
    private readonly requestTimeoutMs = 120_000,
    /** a playbook step's stop: the shell's channel gets TERM, which its trap passes on to a running command */
    signal?: AbortSignal,
  ) {
    const nonce = randomBytes(16).toString('hex');
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => {});
    this.parser = new FrameParser(nonce, this.sink());
    this.parser.on('error', () => {});
    this.parser.on('failed', (err: Error) => this.fail(err));
    // the commands' stderr, framed on the channel's own stderr
    const errs = new FrameParser(nonce, stderrSink((key, buf) => this.command?.commandStderr(key, buf)), { stderr: true });
    errs.on('error', () => {});
    errs.on('failed', (err: Error) => this.fail(err));
    host.exec(['sh', '-s'], { stdin: this.stdin, stdoutTo: this.parser, stderrTo: errs, maxBuffer: Number.POSITIVE_INFINITY, timeoutMs: 24 * 3600_000, privileged: true, ...(signal ? { signal } : {}) }).then(
      (res) => this.fail(new Error(`the follow-up shell ended (${res.stderr.toString('utf8').trim().split('\n')[0] || `exit ${res.code ?? res.signal}`})`)),
      (err: Error) => this.fail(err),
    );
    this.stdin.write(sessionPrelude(nonce));
  }

  /** Records go to the receiver of the oldest request still open. */
  private sink(): FrameSink {
    const cur = () => this.queue[0]?.receiver;
    return {
      header: (h) => {
        this.timeout = Boolean(h.timeout);
        this.markReady();
      },
      refused: (why) => this.fail(new Error(why)),
      absent: (p) => cur()?.absent?.(p),
      probe: (p, st, l) => cur()?.probe?.(p, st, l),
      root: (i, l, c) => cur()?.root?.(i, l, c),
      entry: (i, r, st, l) => cur()?.entry?.(i, r, st, l),
      unreadableDir: (i, r) => cur()?.unreadableDir?.(i, r),
      unreadableFile: (i, r) => cur()?.unreadableFile?.(i, r),
      started: (k, key) => cur()?.started?.(k, key),
      netns: (pid, rep) => cur()?.netns?.(pid, rep),
      prefix: (x) => cur()?.prefix?.(x),
      content: (k, key, rel, at, status) => cur()?.content?.(k, key, rel, at, status),
      done: (id) => {
        const head = this.queue.shift();
        if (!head || head.id !== id) return this.fail(new Error(`follow-up ${id} answered out of turn`));
        clearTimeout(head.timer);
        head.receiver.finish();
        head.resolve();
      },
      append: (buf) => cur()?.append(buf) ?? Promise.resolve(),
      spoolSize: () => cur()?.spoolSize() ?? 0,
    };
  }

  private reserved = false;
  /** the command running here (one at a time: take() reserves the shell), for its stderr */
  private command?: CommandReceiver;

  /**
   * A command given now starts at once here: true, and the session is taken until it is done; false
   * when it is busy, dead, or has no GNU timeout to bound a command.
   */
  take(): boolean {
    if (this.dead || this.reserved || this.queue.length > 0 || !this.timeout) return false;
    this.reserved = true;
    return true;
  }

  /** Sends one request and waits for its Q record. */
  private async send(receiver: Receiver, script: (id: number) => string, timeoutMs: number): Promise<void> {
    await this.ready;
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`request ${id} did not answer in ${timeoutMs / 1000} s`)), timeoutMs);
      this.queue.push({ id, receiver, resolve, reject, timer });
      this.stdin.write(script(id));
    });
  }

  /**
   * One command in this shell: one round trip instead of a channel, a sudo and a shell; killed by the
   * host's GNU timeout at its timeout (the shell stays). Only with GNU timeout: without it a command
   * that hangs would hang the shell.
   */
  async run(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const startedAt = utcNow();
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const r = new CommandReceiver(opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
    this.command = r;
    try {
      await this.send(r, (id) => sessionCommand(argv, timeoutMs, id), timeoutMs + 30_000);
      // stdout and stderr are two pipes on the host: wait for the end of stderr too (it was written first)
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([r.stderrDone, new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
    } finally {
      this.command = undefined;
      this.reserved = false;
    }
    if (process.env.IR_DEBUG_BATCH) process.stderr.write(`shell command in ${Math.round(Date.parse(utcNow()) - Date.parse(startedAt))} ms: ${argv.join(' ').slice(0, 80)}\n`);
    const killed = r.status === 137;
    return { argv, stdout: r.stdout(), stderr: r.stderr, code: killed ? null : r.status, ...(killed ? { signal: 'SIGKILL', timedOut: true } : {}), startedAt, endedAt: utcNow() };
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.failReady(err);
    for (const q of this.queue.splice(0)) {
      clearTimeout(q.timer);
      q.reject(err);
    }
    this.stdin.end();
  }

  /** Reads what `plan` asks into the store; rejects when the session died (the caller runs a batch instead). */
  async request(store: SnapshotStore, plan: BatchPlan): Promise<void> {
    const receiver = new BatchReceiver(store, plan, utcNow);
    const before = store.spool.size;
    const t0 = performance.now();
    this.rt.batches++;
    await this.send(receiver, (id) => sessionRequest(plan, id), this.requestTimeoutMs).finally(() => {
      this.rt.batchBytes += store.spool.size - before;
      if (process.env.IR_DEBUG_BATCH) process.stderr.write(`follow-up: ${Math.round(performance.now() - t0)} ms\n`);
    });
  }

  close(): void {
    this.fail(new Error('closed'));
  }
}
