import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { utcNow } from '../../core/time.js';
import { FrameParser, type FrameSink } from './frames.js';
import type { BatchPlan } from './plan.js';
import type { RoundTrips } from './roundtrips.js';
import { sessionPrelude, sessionRequest } from './script.js';
import { BatchReceiver, type SnapshotStore } from './store.js';
import type { BatchHost } from './snapshot.js';

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
  private readonly queue: { id: number; receiver: BatchReceiver; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private nextId = 1;
  dead?: Error;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private failReady!: (e: Error) => void;

  constructor(
    host: BatchHost,
    private readonly rt: RoundTrips,
    private readonly requestTimeoutMs = 120_000,
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
    host.exec(['sh', '-s'], { stdin: this.stdin, stdoutTo: this.parser, maxBuffer: Number.POSITIVE_INFINITY, timeoutMs: 24 * 3600_000, privileged: true }).then(
      (res) => this.fail(new Error(`the follow-up shell ended (${res.stderr.toString('utf8').trim().split('\n')[0] || `exit ${res.code ?? res.signal}`})`)),
      (err: Error) => this.fail(err),
    );
    this.stdin.write(sessionPrelude(nonce));
  }

  /** Records go to the receiver of the oldest request still open. */
  private sink(): FrameSink {
    const cur = () => this.queue[0]?.receiver;
    return {
      header: () => this.markReady(),
      refused: (why) => this.fail(new Error(why)),
      absent: (p) => cur()?.absent(p),
      probe: (p, st, l) => cur()?.probe(p, st, l),
      root: (i, l, c) => cur()?.root(i, l, c),
      entry: (i, r, st, l) => cur()?.entry(i, r, st, l),
      unreadableDir: (i, r) => cur()?.unreadableDir(i, r),
      unreadableFile: (i, r) => cur()?.unreadableFile(i, r),
      started: (k, key) => cur()?.started(k, key),
      netns: (pid, rep) => cur()?.netns(pid, rep),
      prefix: (x) => cur()?.prefix(x),
      content: (k, key, rel, at, status) => cur()?.content(k, key, rel, at, status),
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
    await this.ready;
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    const receiver = new BatchReceiver(store, plan, utcNow);
    const before = store.spool.size;
    const t0 = performance.now();
    this.rt.batches++;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`follow-up ${id} did not answer in ${this.requestTimeoutMs / 1000} s`)), this.requestTimeoutMs);
      this.queue.push({ id, receiver, resolve, reject, timer });
      this.stdin.write(sessionRequest(plan, id));
    }).finally(() => {
      this.rt.batchBytes += store.spool.size - before;
      if (process.env.IR_DEBUG_BATCH) process.stderr.write(`follow-up ${id}: ${Math.round(performance.now() - t0)} ms\n`);
    });
  }

  close(): void {
    this.fail(new Error('closed'));
  }
}
