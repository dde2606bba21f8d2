import { PassThrough, Writable } from 'node:stream';
import { TarParser, type TarEntry } from '../evidence/tar-parser.js';
import type { DirEntry, ExecResult, FileStat, Target } from '../host/target.js';
import { NotAvailable, TargetError } from '../host/target.js';
import { docker } from './cli.js';

/**
 * `docker cp CONTAINER:PATH -`: the engine's own copy of a container's file as a tar stream, the way
 * to read a stopped container whose layer directory cannot be read (another storage driver, the
 * containerd image store, no rights on the data root). Links come as links, never followed.
 */

function statOf(e: TarEntry): FileStat {
  return { type: e.type === 'other' ? 'unknown' : e.type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: e.size, mtime: e.mtime, atime: e.mtime };
}

/** The first entry of `docker cp` of one path, its content bounded; null when the path does not exist. */
export async function dockerCpEntry(host: Target, id: string, path: string, maxBytes: number): Promise<{ entry: TarEntry; data: Buffer; truncated: boolean } | null> {
  const res = await docker(host, ['cp', `${id}:${path}`, '-'], { maxBuffer: maxBytes + 64 * 1024, timeoutMs: 120_000 });
  if (res.code !== 0) {
    const msg = res.stderr.toString('utf8').trim().split('\n')[0] ?? '';
    if (/no such file|could not find the file|not found/i.test(msg)) return null;
    if (res.stdout.length === 0) throw new TargetError('IO', `docker cp ${path}: ${msg || `exit ${res.code}`}`, path);
  }
  let first: TarEntry | undefined;
  const chunks: Buffer[] = [];
  let done = false;
  const parser = new TarParser({
    entry: (e) => {
      if (!first) first = e;
    },
    data: (c) => {
      if (!done) chunks.push(Buffer.from(c));
    },
    end: () => {
      done = true;
    },
    problem: () => {},
  });
  parser.feed(res.stdout);
  parser.finish();
  if (!first) return null;
  const data = Buffer.concat(chunks);
  return { entry: first, data: data.subarray(0, maxBytes), truncated: data.length < first.size || data.length > maxBytes };
}

/**
 * Streams `docker cp` of one path into `onEntry` entry by entry, each entry's bytes as a stream with
 * backpressure (nothing is held: the tar goes from docker's stdout through the parser to the consumer).
 */
export async function dockerCpStream(host: Target, id: string, path: string, onEntry: (e: TarEntry, body: NodeJS.ReadableStream) => Promise<void>): Promise<ExecResult> {
  let body: PassThrough | undefined;
  let pending: Promise<void> | undefined;
  const consumers: Promise<void>[] = [];
  const parser = new TarParser({
    entry: (e) => {
      body = new PassThrough({ highWaterMark: 1 << 20 });
      const b = body;
      const p = onEntry(e, b).catch((err) => {
        b.destroy();
        throw err;
      });
      p.catch(() => {});
      consumers.push(p);
      if (e.size === 0) b.end();
    },
    data: (c) => {
      // a consumer that stopped early (a cut file) destroyed its stream: the rest of the entry is dropped
      if (body && !body.destroyed && !body.write(Buffer.from(c))) {
        const b = body;
        pending = new Promise((r) => {
          b.once('drain', () => r());
          b.once('close', () => r());
        });
      }
    },
    end: () => {
      body?.end();
      body = undefined;
    },
    problem: () => {},
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parser.feed(chunk);
      const wait = pending;
      pending = undefined;
      if (wait) wait.then(() => cb(), cb);
      else cb();
    },
    final(cb) {
      parser.finish();
      body?.end();
      cb();
    },
  });
  const res = await docker(host, ['cp', `${id}:${path}`, '-'], { stdoutTo: sink, maxBuffer: Number.MAX_SAFE_INTEGER, timeoutMs: 3_600_000 });
  sink.end();
  await new Promise<void>((r) => (sink.writableFinished ? r() : sink.once('finish', () => r())));
  await Promise.all(consumers);
  return res;
}

/**
 * A container's files one `docker cp` at a time: enough to judge the few paths `docker diff` names when
 * nothing else can read them. It cannot list directories or run anything.
 */
export class DockerCpView implements Target {
  readonly kind = 'image' as const;
  readonly live = false;
  private readonly cache = new Map<string, Promise<{ entry: TarEntry; data: Buffer; truncated: boolean } | null>>();

  constructor(
    private readonly host: Target,
    private readonly id: string,
    readonly name: string,
    private readonly maxBytes = 1 << 20,
  ) {}

  private get(path: string) {
    let p = this.cache.get(path);
    if (!p) {
      p = dockerCpEntry(this.host, this.id, path, this.maxBytes);
      this.cache.set(path, p);
    }
    return p;
  }

  async lstat(path: string): Promise<FileStat | null> {
    const e = await this.get(path);
    return e ? statOf(e.entry) : null;
  }

  async stat(path: string): Promise<FileStat | null> {
    const st = await this.lstat(path);
    return st?.type === 'symlink' ? null : st;
  }

  async list(dir: string): Promise<DirEntry[]> {
    throw new NotAvailable(`listing ${dir} through docker cp`);
  }

  async readlink(path: string): Promise<string> {
    const e = await this.get(path);
    if (!e || e.entry.type !== 'symlink') throw new TargetError('IO', `${path}: not a symbolic link`, path);
    return e.entry.linkTarget ?? '';
  }

  async readFile(path: string, opts: { maxBytes?: number } = {}): Promise<Buffer> {
    const e = await this.get(path);
    if (!e) throw new TargetError('ENOENT', `${path}: no such file or directory`, path);
    if (e.entry.type !== 'file') throw new TargetError('NOT_REGULAR', `${path}: not a regular file (${e.entry.type})`, path);
    return e.data.subarray(0, opts.maxBytes ?? e.data.length);
  }

  /** The whole file, streamed from its own `docker cp` (readFile keeps only a bounded prefix). */
  async openRead(path: string, opts: { start?: number; end?: number } = {}): Promise<NodeJS.ReadableStream> {
    const e = await this.get(path);
    if (!e) throw new TargetError('ENOENT', `${path}: no such file or directory`, path);
    if (e.entry.type !== 'file') throw new TargetError('NOT_REGULAR', `${path}: not a regular file (${e.entry.type})`, path);
    if (!e.truncated || opts.start || opts.end !== undefined) {
      const s = new PassThrough();
      s.end(e.data.subarray(opts.start ?? 0, opts.end !== undefined ? opts.end + 1 : undefined));
      return s;
    }
    return new Promise((resolve, reject) => {
      let got = false;
      dockerCpStream(this.host, this.id, path, async (entry, body) => {
        if (got || entry.type !== 'file') return void body.resume();
        got = true;
        resolve(body);
        await new Promise<void>((r) => {
          body.once('end', () => r());
          body.once('close', () => r());
        });
      }).then(
        () => (got ? undefined : reject(new TargetError('ENOENT', `${path}: no such file or directory`, path))),
        reject,
      );
    });
  }

  async exec(argv: string[]): Promise<ExecResult> {
    throw new NotAvailable(`running ${argv[0]} in container ${this.name}`);
  }

  async close(): Promise<void> {}
}
