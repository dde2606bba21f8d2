import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import type { FileStat } from '../target.js';
import type { FrameSink } from './frames.js';
import { orderedRoots, type BatchPlan, type RootPlan } from './plan.js';

/**
 * The snapshot: what the batches brought back, answered here without the host. Every entry is kept
 * under its canonical path (the walk's root resolved on the host with `pwd -P`, entries below it never
 * followed), and a path asked in another spelling (`/lib/x` for `/usr/lib/x`) is resolved through
 * the links the snapshot holds, as the kernel would. Contents live in one spool file on this machine.
 */

export interface Spooled {
  offset: number;
  length: number;
  /** how it was read on the host: one tar stream, `cat` with framing, a command's output */
  via?: 'tar' | 'cat' | 'exec';
}

/**
 * One append-only file of contents, gone with the snapshot. Its name (in a `.ir-batch-*` directory,
 * mode 700, beside the archive or in the temporary directory) is removed as soon as it is open: it
 * lives as long as ir holds it, so a run killed outright leaves no copy of the host's files behind.
 * Appends are gathered into 64 KiB writes (a stream arrives in pieces of every size); a read writes
 * out what is pending first.
 */
export class Spool {
  private fh?: fsp.FileHandle;
  /** bytes appended, written or not: where the next append lands */
  size = 0;
  private written = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushing: Promise<void> = Promise.resolve();
  private constructor() {}

  static async create(parent?: string): Promise<Spool> {
    const dir = await fsp.mkdtemp(join(parent ?? tmpdir(), '.ir-batch-'));
    const s = new Spool();
    try {
      s.fh = await fsp.open(join(dir, 'spool'), 'w+', 0o600);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
    return s;
  }

  async append(buf: Buffer): Promise<void> {
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.size += buf.length;
    if (this.pendingBytes >= 1 << 16) await this.flush();
  }

  /** Writes what is pending; writes happen one after the other, in order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pendingBytes === 0) return;
      const buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await this.fh!.write(buf, off, buf.length - off, this.written);
        off += bytesWritten;
        this.written += bytesWritten;
      }
    });
    return this.flushing;
  }

  async read(at: Spooled, max = at.length): Promise<Buffer> {
    await this.flush();
    const len = Math.min(at.length, max);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh!.read(buf, got, len - got, at.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  }

  /** Bytes `start` to `end` of an entry, read at their offsets (the file has no name to open again). */
  async stream(at: Spooled, start = 0, end = at.length - 1): Promise<NodeJS.ReadableStream> {
    await this.flush();
    const last = Math.min(end, at.length - 1);
    if (last < start) return Readable.from([]);
    const fh = this.fh!;
    let pos = at.offset + start;
    const stop = at.offset + last + 1;
    return new Readable({
      highWaterMark: 1 << 20,
      read(size) {
        const n = Math.min(size, stop - pos);
        if (n <= 0) {
          this.push(null);
          return;
        }
        const buf = Buffer.allocUnsafe(n);
        fh.read(buf, 0, n, pos).then(
          ({ bytesRead }) => {
            pos += bytesRead;
            this.push(bytesRead === 0 ? null : buf.subarray(0, bytesRead));
          },
          (err: Error) => this.destroy(err),
        );
      },
    });
  }

  async remove(): Promise<void> {
    await this.flushing.catch(() => {});
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
  }
}

export type Lookup =
  | { kind: 'found'; path: string; stat: FileStat; link?: string }
  | { kind: 'absent' }
  /** a path under a file: no such path either, but ENOTDIR */
  | { kind: 'notdir' }
  | { kind: 'loop' }
  /** the snapshot cannot say: `missing` is the path to ask the host (links already resolved) */
  | { kind: 'unknown'; missing: string }
  /** only the host can: a magic link of /proc (exe, cwd, fd/N, self) leads to what no path names */
  | { kind: 'host' };

export interface CommandOutput {
  stdout: Spooled;
  stderr: Buffer;
  status: number;
  startedAt: string;
  endedAt: string;
}

interface Entry {
  stat: FileStat;
  link?: string;
}

const norm = (p: string): string => {
  const n = posix.normalize(`/${p}`);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
};

export class SnapshotStore {
  private readonly entries = new Map<string, Entry>();
  private readonly children = new Map<string, Set<string>>();
  private readonly complete = new Set<string>();
  /** names a walk looked for in a directory it entered (those it did not report are absent) */
  private readonly probed = new Map<string, Set<string>>();
  private readonly absent = new Set<string>();
  /** process → the process of the same network namespace whose /proc/PID/net the batch read */
  private readonly netnsRep = new Map<number, number>();
  private readonly contents = new Map<string, Spooled>();
  /** contents that could not be read (cat failed on a /proc file of a process that exited) */
  private readonly vanished = new Set<string>();
  /** directories and files the walk could not read: their errors come from the host itself */
  readonly unreadable = new Set<string>();
  readonly commands = new Map<string, CommandOutput>();

  constructor(readonly spool: Spool) {}

  get size(): { entries: number; contents: number; bytes: number } {
    return { entries: this.entries.size, contents: this.contents.size, bytes: this.spool.size };
  }

  addEntry(path: string, stat: FileStat, link?: string): void {
    const p = norm(path);
    this.entries.set(p, { stat, ...(stat.type === 'symlink' ? { link } : {}) });
    this.absent.delete(p);
    if (p === '/') return;
    const dir = posix.dirname(p);
    let set = this.children.get(dir);
    if (!set) this.children.set(dir, (set = new Set()));
    set.add(posix.basename(p));
  }

  addAbsent(path: string): void {
    const p = norm(path);
    if (!this.entries.has(p)) this.absent.add(p);
  }

  markComplete(dir: string): void {
    this.complete.add(norm(dir));
  }

  /** The first content of a path stays: a snapshot is one moment, a later batch does not move it. */
  addContent(path: string, at: Spooled): void {
    const p = norm(path);
    if (this.contents.has(p)) return;
    this.contents.set(p, at);
    this.vanished.delete(p);
  }

  addVanished(path: string): void {
    if (!this.contents.has(norm(path))) this.vanished.add(norm(path));
  }

  addProbed(dir: string, name: string): void {
    const d = norm(dir);
    let set = this.probed.get(d);
    if (!set) this.probed.set(d, (set = new Set()));
    set.add(name);
  }

  addNetns(pid: number, rep: number): void {
    this.netnsRep.set(pid, rep);
  }

  /**
   * /proc/PID/net is the network namespace's, the same for every process in it: the batch reads it
   * for one process per namespace and answers it for the others.
   */
  netnsContent(path: string): Spooled | undefined {
    const m = /^\/proc\/(\d+)\/net\/([^/]+)$/.exec(path);
    const rep = m ? this.netnsRep.get(Number(m[1])) : undefined;
    return rep === undefined ? undefined : this.contents.get(`/proc/${rep}/net/${m![2]}`);
  }

  isComplete(dir: string): boolean {
    return this.complete.has(dir);
  }

  content(path: string): Spooled | 'vanished' | undefined {
    return this.contents.get(path) ?? (this.vanished.has(path) ? 'vanished' : undefined);
  }

  /** Entries of a directory listed completely (canonical path), sorted by name as the other targets do. */
  list(dir: string): { name: string; stat: FileStat }[] {
    const names = [...(this.children.get(dir) ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return names.map((name) => ({ name, stat: this.entries.get(dir === '/' ? `/${name}` : `${dir}/${name}`)!.stat }));
  }

  private linkTarget(at: string, link: string): string {
    return norm(link.startsWith('/') ? link : posix.join(posix.dirname(at), link));
  }

  /**
   * What the snapshot knows of `path`: links in its directories always followed, the final one only
   * with `follow`. A name missing from a directory listed completely is absent; a directory the
   * snapshot never listed is unknown.
   */
  resolve(path: string, follow: boolean): Lookup {
    let p = norm(path);
    let hops = 0;
    outer: for (;;) {
      const e = this.entries.get(p);
      if (e) {
        if (e.stat.type === 'symlink' && follow) {
          if (p.startsWith('/proc/')) return { kind: 'host' };
          // a link whose target could not be read leads nowhere
          if (!e.link) return { kind: 'absent' };
          if (++hops > 40) return { kind: 'loop' };
          p = this.linkTarget(p, e.link);
          continue;
        }
        return { kind: 'found', path: p, stat: e.stat, ...(e.link !== undefined ? { link: e.link } : {}) };
      }
      if (this.absent.has(p)) return { kind: 'absent' };
      let q = p;
      const rest: string[] = [];
      while (q !== '/') {
        rest.unshift(posix.basename(q));
        q = posix.dirname(q);
        if (this.absent.has(q)) return { kind: 'absent' };
        const eq = this.entries.get(q);
        if (!eq) continue;
        if (eq.stat.type === 'symlink') {
          if (q.startsWith('/proc/')) return { kind: 'host' };
          if (!eq.link) return { kind: 'absent' };
          if (++hops > 40) return { kind: 'loop' };
          p = norm(posix.join(this.linkTarget(q, eq.link), ...rest));
          continue outer;
        }
        // under a file: ENOTDIR, which lstat and stat answer as "no such path"
        if (eq.stat.type !== 'dir') return { kind: 'notdir' };
        if (this.complete.has(q) || this.probed.get(q)?.has(rest[0]!)) return { kind: 'absent' };
        return { kind: 'unknown', missing: p };
      }
      return { kind: 'unknown', missing: p };
    }
  }
}

/**
 * The receiving end of one batch: maps the batch's root numbers to canonical paths, and when the
 * stream is complete marks the directories it listed completely.
 */
export class BatchReceiver implements FrameSink {
  readonly roots = new Map<string, { literal: string; canonical: string; plan: RootPlan }>();
  private readonly dirs = new Map<string, string[]>();
  /** files printed under /proc or /sys: one whose content did not come had gone by then (a process that exited) */
  private readonly pseudoFiles = new Map<string, string[]>();
  tools?: { find: string; tar: string; timeout: string; uid: number };
  refusedWhy?: string;
  private readonly commandStarts = new Map<string, string>();

  constructor(
    private readonly store: SnapshotStore,
    private readonly plan: BatchPlan,
    private readonly now: () => string,
  ) {}

  private planOf(idx: string): RootPlan | undefined {
    if (idx.startsWith('h')) return this.plan.roots.find((r) => r.root === null);
    return orderedRoots(this.plan)[Number(idx.slice(1))];
  }

  private pathOf(idx: string, rel: string): string | null {
    const r = this.roots.get(idx);
    if (!r) return null;
    return rel === '' ? r.canonical : r.canonical === '/' ? `/${rel}` : `${r.canonical}/${rel}`;
  }

  header(h: { find: string; tar: string; timeout: string; uid: number }): void {
    this.tools = h;
  }

  refused(reason: string): void {
    this.refusedWhy = reason;
  }

  absent(path: string): void {
    this.store.addAbsent(path);
  }

  private stripped?: string;

  prefix(prefix: string): void {
    this.stripped = prefix;
  }

  probe(path: string, stat: FileStat, link: string): void {
    const x = this.stripped;
    if (x) {
      if (path !== x && !path.startsWith(`${x}/`)) return;
      path = path.slice(x.length) || '/';
    }
    this.store.addEntry(path, stat, link);
  }

  root(idx: string, literal: string, canonical: string): void {
    const plan = this.planOf(idx);
    if (!plan) return;
    this.roots.set(idx, { literal, canonical, plan });
    this.dirs.set(idx, ['']);
    this.pseudoFiles.set(idx, []);
  }

  entry(idx: string, rel: string, stat: FileStat, link: string): void {
    const p = this.pathOf(idx, rel);
    if (!p) return;
    this.store.addEntry(p, stat, link);
    if (stat.type === 'dir') this.dirs.get(idx)?.push(rel);
    else if (stat.type === 'file' && this.roots.get(idx)?.plan.pseudo) this.pseudoFiles.get(idx)?.push(rel);
  }

  unreadableDir(idx: string, rel: string): void {
    const p = this.pathOf(idx, rel);
    if (p) this.store.unreadable.add(p);
  }

  unreadableFile(idx: string, rel: string): void {
    const p = this.pathOf(idx, rel);
    if (p) this.store.unreadable.add(p);
  }

  netns(pid: number, rep: number): void {
    this.store.addNetns(pid, rep);
  }

  started(kind: 'C' | 'X', key: string): void {
    if (kind === 'X') this.commandStarts.set(key, this.now());
  }

  content(kind: 'C' | 'T' | 'X', key: string, rel: string, at: Spooled, status: number): void {
    if (kind === 'X') {
      const id = Number(key);
      const cmd = this.plan.commands[id];
      if (!cmd) return;
      const k = JSON.stringify(cmd.argv);
      const had = this.store.commands.get(k);
      this.store.commands.set(k, { stdout: at, stderr: had?.stderr ?? Buffer.alloc(0), status, startedAt: this.commandStarts.get(key) ?? this.now(), endedAt: this.now() });
      return;
    }
    if (key === '/') {
      // a /proc or /sys file named in full, read at that path
      if (status === 0) this.store.addContent(rel, { ...at, via: 'cat' });
      else this.store.addVanished(rel);
      return;
    }
    if (key === 'n') {
      // /proc/PID/net of one process per network namespace
      if (status === 0) this.store.addContent(`/proc/${rel}`, { ...at, via: 'cat' });
      return;
    }
    const p = this.pathOf(key, rel);
    if (!p) return;
    if (kind === 'C' && status !== 0) this.store.addVanished(p);
    else this.store.addContent(p, { ...at, via: kind === 'C' ? 'cat' : 'tar' });
  }

  commandStderr(id: string, buf: Buffer): void {
    const cmd = this.plan.commands[Number(id)];
    if (!cmd) return;
    const k = JSON.stringify(cmd.argv);
    const had = this.store.commands.get(k);
    if (had) had.stderr = buf;
    else this.store.commands.set(k, { stdout: { offset: 0, length: 0 }, stderr: buf, status: -1, startedAt: this.now(), endedAt: this.now() });
  }

  append(buf: Buffer): Promise<void> {
    return this.store.spool.append(buf);
  }

  spoolSize(): number {
    return this.store.spool.size;
  }

  /** After a stream that reached its end: the directories whose every entry it printed, the names it looked for. */
  finish(): void {
    for (const [idx, r] of this.roots) {
      const wanted = r.plan.content.map((re) => new RegExp(`^${re}$`));
      for (const rel of this.pseudoFiles.get(idx) ?? []) {
        const path = this.pathOf(idx, rel)!;
        if (this.store.content(path) === undefined && wanted.some((re) => re.test(`./${rel}`))) this.store.addVanished(path);
      }
      const dirs = this.dirs.get(idx) ?? [];
      const probes = new Map<string, { re: RegExp; names: string[] }>();
      for (const p of r.plan.probes) {
        const g = probes.get(p.dir.source);
        if (g) g.names.push(p.name);
        else probes.set(p.dir.source, { re: p.dir, names: [p.name] });
      }
      for (const rel of new Set(dirs)) {
        const path = this.pathOf(idx, rel)!;
        if (this.store.unreadable.has(path)) continue;
        // the walk's depth limit: below it nothing was listed
        if (rel.split('/').length >= 63) continue;
        const dotted = rel === '' ? '.' : `./${rel}`;
        if (r.plan.complete.some((re) => re.test(dotted))) this.store.markComplete(path);
        for (const g of probes.values()) if (g.re.test(dotted)) for (const n of g.names) this.store.addProbed(path, n);
      }
    }
  }
}
