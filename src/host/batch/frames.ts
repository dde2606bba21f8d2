import { Writable } from 'node:stream';
import tarStream from 'tar-stream';
import type { FileStat, FileType } from '../target.js';

/**
 * Reads what script.ts prints: NUL-terminated records, raw contents closed by `\0NONCE\0STATUS\0`,
 * then (after the E record) tar streams to the end. Contents go to the spool as they arrive, with the
 * stream's backpressure: nothing is held whole in memory. Anything that does not parse ends the batch
 * with an error (the caller falls back to per-file reads): a batch is trusted whole or not at all.
 */

export interface FrameSink {
  header(h: { find: string; tar: string; timeout: string; uid: number }): void;
  refused(reason: string): void;
  absent(path: string): void;
  probe(path: string, stat: FileStat, link: string): void;
  root(idx: string, literal: string, canonical: string): void;
  entry(idx: string, rel: string, stat: FileStat, link: string): void;
  unreadableDir(idx: string, rel: string): void;
  unreadableFile(idx: string, rel: string): void;
  /** a raw frame begins (a command's start time, as this end sees it) */
  started?(kind: 'C' | 'X', key: string): void;
  /** a content frame (`C`: a file under a root, `T`: a tar member `IDX/rel`, `X`: a command's stdout) */
  content(kind: 'C' | 'T' | 'X', key: string, rel: string, at: { offset: number; length: number }, status: number): void;
  /** the walks ran under this prefix: probes print it, records carry paths without it */
  prefix?(prefix: string): void;
  /** process `pid` is in the same network namespace as `rep` */
  netns?(pid: number, rep: number): void;
  /** a session's request `id` is complete */
  done?(id: number): void;
  /** append bytes to the spool; resolves when written */
  append(buf: Buffer): Promise<void>;
  /** the spool's size: where the next append lands */
  spoolSize(): number;
}

export class FrameError extends Error {}

const TYPES: Record<string, FileType> = { f: 'file', d: 'dir', l: 'symlink', p: 'fifo', s: 'socket', c: 'char', b: 'block' };

/** find -printf's ten stat fields: type mode uid gid size atime mtime ctime inode links */
export function statOf(f: string[]): FileStat {
  const num = (s: string | undefined) => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new FrameError(`bad number in a record: ${JSON.stringify(s)}`);
    return n;
  };
  // whole seconds, as sftp reports them: the same answers whichever way a file was read
  return {
    type: TYPES[f[0]!] ?? 'unknown',
    mode: parseInt(f[1]!, 8) & 0o7777,
    uid: num(f[2]),
    gid: num(f[3]),
    size: num(f[4]),
    atime: Math.floor(num(f[5])),
    mtime: Math.floor(num(f[6])),
    ctime: Math.floor(num(f[7])),
    ino: num(f[8]),
    nlink: num(f[9]),
  };
}

/** fields of each record after its tag */
const FIELDS: Record<string, number> = { V: 5, Z: 2, A: 1, P: 12, R: 3, M: 13, U: 2, D: 2, C: 2, X: 1, E: 1, Q: 2, N: 2, W: 1 };
const MAX_FIELD = 256 * 1024;

export class FrameParser extends Writable {
  private buf: Buffer = Buffer.alloc(0);
  private state: 'tag' | 'fields' | 'raw' | 'status' | 'tar' | 'discard' = 'tag';
  /**
   * why the stream could not be read: from then on it is drained and dropped (an error on a sink
   * would stall the channel until its timeout), and the caller falls back
   */
  failed?: Error;
  private tag = '';
  private fields: string[] = [];
  private raw?: { kind: 'C' | 'X'; key: string; rel: string; offset: number };
  private readonly delim: Buffer;
  private tar?: tarStream.Extract;
  private tarDone?: Promise<void>;
  /** true once the V header arrived; the stderr stream has none */
  sawHeader = false;
  sawEnd = false;

  constructor(
    private readonly nonce: string,
    /** where records go; a session points it at each request's receiver in turn */
    public sink: FrameSink,
    private readonly opts: { stderr?: boolean } = {},
  ) {
    super();
    this.delim = Buffer.from(`\0${nonce}\0`);
  }

  /** the stream's first bytes, for the message when it is not a batch at all (a forced command's banner) */
  head: Buffer = Buffer.alloc(0);

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.head.length < 256) this.head = Buffer.concat([this.head, chunk.subarray(0, 256 - this.head.length)]);
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.pump().then(
      () => cb(),
      (err: Error) => {
        this.fail(err);
        cb();
      },
    );
  }

  private fail(err: Error): void {
    if (!this.failed) this.emit('failed', err);
    this.failed ??= err;
    this.state = 'discard';
    this.buf = Buffer.alloc(0);
    this.tar?.destroy();
  }

  override _final(cb: (err?: Error | null) => void): void {
    const finish = async () => {
      if (this.state === 'discard') return;
      if (this.state === 'tar') {
        (this.tar as unknown as Writable).end();
        await this.tarDone;
        return;
      }
      if (this.buf.length > 0 || this.state !== 'tag') throw new FrameError(`stream ended inside a record (${this.tag || 'start'})`);
    };
    finish().then(
      () => cb(),
      (err: Error) => {
        this.fail(err);
        cb();
      },
    );
  }

  private field(): string | null {
    const i = this.buf.indexOf(0);
    if (i < 0) {
      if (this.buf.length > MAX_FIELD) throw new FrameError('a record field is too long');
      return null;
    }
    const s = this.buf.subarray(0, i).toString('utf8');
    this.buf = this.buf.subarray(i + 1);
    return s;
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.state === 'discard') {
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.state === 'tar') {
        const b = this.buf;
        this.buf = Buffer.alloc(0);
        if (b.length && !this.tar!.write(b)) {
          // a broken tar stream never drains: its error ends the batch instead
          await Promise.race([new Promise<void>((r) => this.tar!.once('drain', () => r())), this.tarDone!.then(() => new Promise<void>(() => undefined))]);
        }
        return;
      }
      if (this.state === 'raw') {
        const i = this.buf.indexOf(this.delim);
        if (i < 0) {
          // keep what could be the start of the delimiter
          const keep = Math.min(this.buf.length, this.delim.length - 1);
          const out = this.buf.subarray(0, this.buf.length - keep);
          if (out.length) await this.sink.append(Buffer.from(out));
          this.buf = this.buf.subarray(this.buf.length - keep);
          return;
        }
        if (i > 0) await this.sink.append(Buffer.from(this.buf.subarray(0, i)));
        this.buf = this.buf.subarray(i + this.delim.length);
        if (this.opts.stderr) {
          this.closeRaw(0);
          continue;
        }
        this.state = 'status';
        continue;
      }
      if (this.state === 'status') {
        const s = this.field();
        if (s === null) return;
        this.closeRaw(Number(s));
        continue;
      }
      if (this.state === 'tag') {
        const t = this.field();
        if (t === null) return;
        if (!(t in FIELDS) || (this.opts.stderr && t !== 'X')) throw new FrameError(`unexpected record ${JSON.stringify(t.slice(0, 40))}`);
        if (!this.sawHeader && !this.opts.stderr && t !== 'V') throw new FrameError(`the batch did not start (got ${JSON.stringify(t.slice(0, 40))})`);
        this.tag = t;
        this.fields = [];
        this.state = 'fields';
      }
      while (this.fields.length < FIELDS[this.tag]!) {
        const f = this.field();
        if (f === null) return;
        this.fields.push(f);
      }
      this.state = 'tag';
      this.record();
    }
  }

  private closeRaw(status: number): void {
    const r = this.raw!;
    this.raw = undefined;
    this.state = 'tag';
    this.sink.content(r.kind, r.key, r.rel, { offset: r.offset, length: this.sink.spoolSize() - r.offset }, status);
  }

  private record(): void {
    const f = this.fields;
    const checkNonce = (n: string | undefined) => {
      if (n !== this.nonce) throw new FrameError('a record carries the wrong nonce');
    };
    switch (this.tag) {
      case 'V':
        checkNonce(f[0]);
        this.sawHeader = true;
        this.sink.header({ find: f[1]!, tar: f[2]!, timeout: f[3]!, uid: Number(f[4]) });
        return;
      case 'Z':
        checkNonce(f[0]);
        this.sink.refused(f[1]!);
        return;
      case 'A':
        this.sink.absent(f[0]!);
        return;
      case 'P':
        this.sink.probe(f[10]!, statOf(f), f[11]!);
        return;
      case 'R':
        this.sink.root(f[0]!, f[1]!, f[2]!);
        return;
      case 'M':
        this.sink.entry(f[0]!, f[11]!, statOf(f.slice(1)), f[12]!);
        return;
      case 'U':
        this.sink.unreadableDir(f[0]!, f[1]!);
        return;
      case 'D':
        this.sink.unreadableFile(f[0]!, f[1]!);
        return;
      case 'C':
      case 'X':
        this.raw = { kind: this.tag, key: f[0]!, rel: this.tag === 'C' ? f[1]! : '', offset: this.sink.spoolSize() };
        this.sink.started?.(this.tag, f[0]!);
        this.state = 'raw';
        return;
      case 'E':
        checkNonce(f[0]);
        this.sawEnd = true;
        this.startTar();
        return;
      case 'W':
        this.sink.prefix?.(f[0]!);
        return;
      case 'N':
        this.sink.netns?.(Number(f[0]), Number(f[1]));
        return;
      case 'Q':
        checkNonce(f[0]);
        this.sink.done?.(Number(f[1]));
        return;
    }
  }

  /** Every tar member (`IDX/rel`, concatenated archives: tar-stream reads over their end blocks) into the spool. */
  private startTar(): void {
    this.state = 'tar';
    const tar = tarStream.extract();
    this.tar = tar;
    this.tarDone = new Promise<void>((resolve, reject) => {
      tar.on('entry', (h, stream, next) => {
        const offset = this.sink.spoolSize();
        const done = (err?: Error) => {
          if (err) {
            stream.resume();
            return next(err);
          }
          const name = h.name.replace(/^\.?\/+/, '');
          const slash = name.indexOf('/');
          if (h.type === 'file' && slash > 0) this.sink.content('T', name.slice(0, slash), name.slice(slash + 1), { offset, length: this.sink.spoolSize() - offset }, 0);
          next();
        };
        (async () => {
          for await (const chunk of stream) await this.sink.append(chunk as Buffer);
        })().then(
          () => done(),
          (err: Error) => done(err),
        );
      });
      tar.on('finish', () => resolve());
      tar.on('error', (err: Error) => reject(new FrameError(`tar stream: ${err.message}`)));
    });
    this.tarDone.catch(() => {});
  }
}

/** A sink for the framed stderr stream: each command's stderr (at most 1 MiB kept) handed to `onEnd` at its end. */
export function stderrSink(onEnd: (key: string, buf: Buffer) => void): FrameSink {
  let chunks: Buffer[] = [];
  let kept = 0;
  let size = 0;
  const nothing = () => {};
  return {
    header: nothing,
    refused: nothing,
    absent: nothing,
    probe: nothing,
    root: nothing,
    entry: nothing,
    unreadableDir: nothing,
    unreadableFile: nothing,
    started: () => {
      chunks = [];
      kept = 0;
    },
    content(_kind, key) {
      onEnd(key, Buffer.concat(chunks));
      chunks = [];
      kept = 0;
    },
    append(buf) {
      size += buf.length;
      if (kept < 1 << 20) {
        chunks.push(Buffer.from(buf));
        kept += buf.length;
      }
      return Promise.resolve();
    },
    spoolSize: () => size,
  };
}
