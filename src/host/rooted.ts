import { constants, promises as fsp } from 'node:fs';
import { posix } from 'node:path';
import { execLocal } from './exec.js';
import { fileType, fsError, readToEnd, toFileStat } from './fs-target.js';
import type { DirEntry, ExecResult, FileStat, ReadOptions, Target } from './target.js';
import { NotAvailable, TargetError, joinPath } from './target.js';
import type { ReadLog } from './read-log.js';
import type { DeclaredInputs } from './batch/declared.js';
import { getfattr } from './xattr.js';

/**
 * A file tree that lives under other directories of a host: a running container's root
 * (`/proc/PID/root`), or a stack of overlay layers (a container's writable layer over its image's
 * layers, read while the container is stopped or from a disk image). Every path is resolved component
 * by component inside that tree, as ImageHost does for `--root`: an absolute link restarts at the
 * tree's root, `..` stops there, so nothing a container holds can make us read the host.
 *
 * With `overlay`, the layers merge as overlayfs merges them: the top layer first, a character device
 * 0/0 is a whiteout (the name was deleted above the layers below), a directory marked
 * `trusted.overlay.opaque=y` (or `user.overlay.opaque`, rootless) hides what the layers below hold.
 *
 * The physical reads go to this machine's file system where the parent has one (local host, disk
 * image: opened with O_NOFOLLOW and checked against the inode seen while resolving, so a component
 * swapped for a link in a running container is refused), or to the parent Target itself (ssh): each
 * read is then `layer directory + resolved path`, a prefix the remote batch reader can use as it is.
 */

export interface LayerStat extends FileStat {
  /** device number of a character or block device, where the reader knows it (whiteouts are 0/0) */
  rdev?: number;
}

/** A whiteout: a character device 0/0 in an overlay layer (any character device where rdev is unknown, over ssh). */
export function isWhiteout(st: FileStat): boolean {
  return st.type === 'char' && ((st as LayerStat).rdev ?? 0) === 0;
}

interface Backing {
  readonly local: boolean;
  lstat(p: string): Promise<LayerStat | null>;
  /** stat following links: only for a layer's own root (`/proc/PID/root` is a link) */
  statRoot(p: string): Promise<LayerStat | null>;
  names(p: string): Promise<string[]>;
  readlink(p: string): Promise<string>;
  read(p: string, ino: number | undefined, max: number, logical: string): Promise<Buffer>;
  open(p: string, ino: number | undefined, opts: { start?: number; end?: number }, logical: string): Promise<NodeJS.ReadableStream>;
  xattrs(p: string, names?: string[]): Promise<Record<string, Buffer>>;
  run(argv: string[]): Promise<ExecResult>;
  close?(): Promise<void>;
}

const missing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * This machine's file system, under the layer directories. Every operation walks from the layer's
 * root one directory at a time, each opened with O_NOFOLLOW|O_DIRECTORY through /proc/self/fd/N (what
 * openat does in C): a directory a running container swaps for a link to the host's /etc between our
 * lookups is refused (ELOOP), never followed.
 */
class LocalBacking implements Backing {
  readonly local = true;
  /** verified directory handles, kept for the tree's life (an fd keeps naming the directory it opened) */
  private readonly dirs = new Map<string, Promise<fsp.FileHandle>>();
  private closed = false;
  constructor(private readonly roots: string[]) {}

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.dirs.values()];
    this.dirs.clear();
    await Promise.all(all.map((p) => p.then((fh) => fh.close()).catch(() => {})));
  }

  /** The layer root holding `p` and the components below it. */
  private split(p: string): { root: string; parts: string[] } {
    for (const r of this.roots) {
      if (p === r) return { root: r, parts: [] };
      if (p.startsWith(`${r}/`)) return { root: r, parts: p.slice(r.length + 1).split('/').filter(Boolean) };
    }
    throw new TargetError('IO', `${p}: outside the layer directories`, p);
  }

  /**
   * The directory `parts` below `root`, opened one component at a time, no link followed on the way.
   * Handles are cached (at most DIR_CACHE): a handle stays the directory it opened, whatever is renamed.
   */
  private dir(root: string, parts: string[], shown: string): Promise<fsp.FileHandle> {
    const key = parts.length ? `${root}/${parts.join('/')}` : root;
    const hit = this.dirs.get(key);
    if (hit) return hit;
    if (this.dirs.size >= DIR_CACHE || this.closed) return this.fresh(root, parts, shown);
    const p = (async () => {
      if (parts.length === 0) return fsp.open(root, constants.O_RDONLY | constants.O_DIRECTORY);
      const parent = await this.dir(root, parts.slice(0, -1), shown);
      return fsp.open(`/proc/self/fd/${parent.fd}/${parts[parts.length - 1]}`, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    })().catch((err: unknown) => {
      // a failure is not kept: the next call tries again
      this.dirs.delete(key);
      throw fsError(err, shown);
    });
    this.dirs.set(key, p);
    return p;
  }

  /** The same walk without the cache (it is full): every handle but the last closed on the way, the last closed after use. */
  private async fresh(root: string, parts: string[], shown: string): Promise<fsp.FileHandle> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(root, constants.O_RDONLY | constants.O_DIRECTORY);
      for (const part of parts) {
        const next: fsp.FileHandle = await fsp.open(`/proc/self/fd/${fh.fd}/${part}`, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(async (err: unknown) => {
          await fh.close();
          throw err;
        });
        await fh.close();
        fh = next;
      }
    } catch (err) {
      throw fsError(err, shown);
    }
    this.transient.add(fh);
    return fh;
  }

  private readonly transient = new Set<fsp.FileHandle>();

  private async withDir<T>(root: string, parts: string[], shown: string, fn: (fd: number) => Promise<T>): Promise<T> {
    const fh = await this.dir(root, parts, shown);
    try {
      return await fn(fh.fd);
    } finally {
      if (this.transient.delete(fh)) await fh.close().catch(() => {});
    }
  }

  /** Runs `fn` with the parent directory of `p` open and the last name; the root itself has no name. */
  private async inParent<T>(p: string, fn: (at: string | null) => Promise<T>): Promise<T> {
    const { root, parts } = this.split(p);
    if (parts.length === 0) return fn(null);
    return this.withDir(root, parts.slice(0, -1), p, (fd) => fn(`/proc/self/fd/${fd}/${parts[parts.length - 1]}`));
  }

  async lstat(p: string): Promise<LayerStat | null> {
    try {
      return await this.inParent(p, async (at) => {
        const s = at ? await fsp.lstat(at) : await fsp.stat(p);
        return { ...toFileStat(s), rdev: s.rdev };
      });
    } catch (err) {
      if (missing(err) || (err instanceof TargetError && (err.code === 'ENOENT' || err.code === 'ENOTDIR'))) return null;
      throw fsError(err, p);
    }
  }
  async statRoot(p: string): Promise<LayerStat | null> {
    try {
      return toFileStat(await fsp.stat(p));
    } catch (err) {
      if (missing(err)) return null;
      throw fsError(err, p);
    }
  }
  async names(p: string): Promise<string[]> {
    const { root, parts } = this.split(p);
    return this.withDir(root, parts, p, (fd) =>
      fsp.readdir(`/proc/self/fd/${fd}`).catch((err: unknown) => {
        throw fsError(err, p);
      }),
    );
  }
  async readlink(p: string): Promise<string> {
    try {
      return await this.inParent(p, (at) => fsp.readlink(at ?? p));
    } catch (err) {
      throw fsError(err, p);
    }
  }
  private async openChecked(p: string, ino: number | undefined, logical: string): Promise<fsp.FileHandle> {
    let fh: fsp.FileHandle;
    try {
      fh = await this.inParent(p, (at) => fsp.open(at ?? p, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW));
    } catch (err) {
      throw fsError(err, logical);
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new TargetError(st.isDirectory() ? 'EISDIR' : 'NOT_REGULAR', `${logical}: not a regular file (${fileType(st)})`, logical);
    }
    if (ino !== undefined && st.ino !== ino) {
      await fh.close();
      throw new TargetError('IO', `${logical}: replaced while being opened; not read`, logical);
    }
    return fh;
  }
  async read(p: string, ino: number | undefined, max: number, logical: string): Promise<Buffer> {
    return readToEnd(await this.openChecked(p, ino, logical), max, logical);
  }
  async open(p: string, ino: number | undefined, opts: { start?: number; end?: number }, logical: string): Promise<NodeJS.ReadableStream> {
    const fh = await this.openChecked(p, ino, logical);
    return fh.createReadStream({ start: opts.start, end: opts.end, autoClose: true, highWaterMark: 1 << 20 });
  }
  xattrs(p: string, names?: string[]): Promise<Record<string, Buffer>> {
    return getfattr((argv) => execLocal(argv), p, names);
  }
  run(argv: string[]): Promise<ExecResult> {
    return execLocal(argv, { timeoutMs: 120_000, maxBuffer: 64 * 1024 * 1024 });
  }
}

/** The parent Target itself (ssh): physical paths on the remote host. */
class TargetBacking implements Backing {
  readonly local = false;
  constructor(private readonly t: Target) {}
  lstat(p: string): Promise<LayerStat | null> {
    return this.t.lstat(p);
  }
  statRoot(p: string): Promise<LayerStat | null> {
    return this.t.stat(p);
  }
  async names(p: string): Promise<string[]> {
    return (await this.t.list(p)).map((e) => e.name);
  }
  readlink(p: string): Promise<string> {
    return this.t.readlink(p);
  }
  read(p: string, _ino: number | undefined, max: number): Promise<Buffer> {
    return this.t.readFile(p, { maxBytes: max });
  }
  open(p: string, _ino: number | undefined, opts: { start?: number; end?: number }): Promise<NodeJS.ReadableStream> {
    return this.t.openRead(p, opts);
  }
  xattrs(p: string, names?: string[]): Promise<Record<string, Buffer>> {
    if (!this.t.xattrs) throw new NotAvailable('extended attributes');
    return this.t.xattrs(p, names);
  }
  run(argv: string[]): Promise<ExecResult> {
    return this.t.exec(argv, { privileged: true, timeoutMs: 120_000, maxBuffer: 64 * 1024 * 1024 });
  }
}

/**
 * The layers read in batches (ssh): each layer's snapshot answers for the paths under it, with the
 * layer's own paths; the rest (a layer's root, extended attributes, commands) goes to the parent.
 */
class SnapshotBacking implements Backing {
  readonly local = false;
  constructor(
    private readonly under: Backing,
    private readonly layers: string[],
    readonly snaps: Target[],
  ) {}
  /** The layer snapshot holding `p` and the path inside it. */
  private at(p: string): { t: Target; rel: string } | null {
    for (const [i, l] of this.layers.entries()) {
      if (p === l) return { t: this.snaps[i]!, rel: '/' };
      if (p.startsWith(`${l}/`)) return { t: this.snaps[i]!, rel: p.slice(l.length) };
    }
    return null;
  }
  lstat(p: string): Promise<LayerStat | null> {
    const a = this.at(p);
    return a ? a.t.lstat(a.rel) : this.under.lstat(p);
  }
  statRoot(p: string): Promise<LayerStat | null> {
    return this.under.statRoot(p);
  }
  async names(p: string): Promise<string[]> {
    const a = this.at(p);
    return a ? (await a.t.list(a.rel)).map((e) => e.name) : this.under.names(p);
  }
  readlink(p: string): Promise<string> {
    const a = this.at(p);
    return a ? a.t.readlink(a.rel) : this.under.readlink(p);
  }
  read(p: string, ino: number | undefined, max: number, logical: string): Promise<Buffer> {
    const a = this.at(p);
    return a ? a.t.readFile(a.rel, { maxBytes: max }) : this.under.read(p, ino, max, logical);
  }
  open(p: string, ino: number | undefined, opts: { start?: number; end?: number }, logical: string): Promise<NodeJS.ReadableStream> {
    const a = this.at(p);
    return a ? a.t.openRead(a.rel, opts) : this.under.open(p, ino, opts, logical);
  }
  xattrs(p: string, names?: string[]): Promise<Record<string, Buffer>> {
    return this.under.xattrs(p, names);
  }
  run(argv: string[]): Promise<ExecResult> {
    return this.under.run(argv);
  }
  async close(): Promise<void> {
    await Promise.all(this.snaps.map((s) => s.close().catch(() => {})));
    await this.under.close?.();
  }
}

const OPAQUE_NAMES = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/** getfattr's escaping of file names (`\012` for a newline, `\\` for a backslash) undone. */
function unescapeGetfattrName(s: string): string {
  return s.replace(/\\([0-7]{3}|\\)/g, (_, x: string) => (x === '\\' ? '\\' : String.fromCharCode(parseInt(x, 8))));
}

/**
 * Opaque directories of one layer, found with one `getfattr -R` (one process per layer instead of one
 * per directory); shared between the trees of one run, since containers of one image share its layers.
 */
export class OpaqueIndex {
  private readonly byLayer = new Map<string, Promise<Set<string>>>();
  /** why opaque directories could not be told apart (no getfattr, no rights): said once per run */
  unavailable?: string;

  of(backing: Backing, dir: string): Promise<Set<string>> {
    const key = `${backing.local ? 'local' : 'remote'}:${dir}`;
    let p = this.byLayer.get(key);
    if (!p) {
      p = this.scan(backing, dir);
      this.byLayer.set(key, p);
    }
    return p;
  }

  private async scan(backing: Backing, dir: string): Promise<Set<string>> {
    const out = new Set<string>();
    let res: ExecResult;
    try {
      res = await backing.run(['getfattr', '-R', '-P', '-h', '--absolute-names', '-e', 'hex', '-d', '-m', `^(${OPAQUE_NAMES.map((n) => n.replace(/\./g, '\\.')).join('|')})$`, '--', dir]);
    } catch (err) {
      this.unavailable ??= err instanceof TargetError && err.code === 'ENOENT' ? 'getfattr is not installed (Debian package attr)' : (err as Error).message;
      return out;
    }
    if (res.code === 127) this.unavailable ??= 'getfattr is not installed (Debian package attr)';
    let file: string | undefined;
    for (const line of res.stdout.toString('latin1').split('\n')) {
      if (line.startsWith('# file: ')) file = unescapeGetfattrName(Buffer.from(line.slice(8), 'latin1').toString('utf8'));
      else if (file && /^(trusted|user)\.overlay\.opaque=0x79$/.test(line)) out.add(file.replace(/\/+$/, ''));
    }
    if (res.code !== 0 && res.stdout.length === 0 && res.code !== 127) this.unavailable ??= `getfattr: ${res.stderr.toString('utf8').trim().split('\n')[0] || `exit ${res.code}`}`;
    return out;
  }
}

export interface RootedOptions {
  /** shown in findings and errors: the container's name */
  name: string;
  /** directories on the parent, top layer first (one for a plain root such as /proc/PID/root) */
  layers: string[];
  /** merge the layers as overlayfs does (whiteouts, opaque directories); false shows a layer as it is on disk */
  overlay: boolean;
  /** logical directories shown empty (a running container's /proc and /sys are not its files) */
  hidden?: string[];
  /** records what is read, by reader, for reuse of a scan's findings */
  readLog?: ReadLog;
  /** shared opaque-directory index (one getfattr per layer per run) */
  opaque?: OpaqueIndex;
}

type DirNode = { kind: 'dir'; dirs: string[]; layer: number; stat: LayerStat };
type LeafNode = { kind: 'leaf'; phys: string; layer: number; stat: LayerStat };
type Node = DirNode | LeafNode;

const MAX_LINKS = 40;
/** directory handles a tree keeps open (well under the usual limit of 1024 descriptors) */
const DIR_CACHE = 128;

export class RootedTarget implements Target {
  readonly kind = 'image' as const;
  readonly live = false;
  readonly name: string;
  /** the physical layer directories on the parent (local paths when read here), top first */
  readonly layers: string[];
  private readonly dirs = new Map<string, Promise<DirNode | null>>();
  private readonly hidden: Set<string>;
  private readonly opaque: OpaqueIndex;

  private constructor(
    private readonly parent: Target,
    private backing: Backing,
    layers: string[],
    private readonly opts: RootedOptions,
  ) {
    this.name = opts.name;
    this.layers = layers;
    this.hidden = new Set(opts.hidden ?? []);
    this.opaque = opts.opaque ?? new OpaqueIndex();
  }

  /**
   * Opens the tree. Layer directories are the parent's paths; where the parent lies on this machine
   * (local host, disk image) they are mapped once to local paths and read here directly.
   */
  static async open(parent: Target, opts: RootedOptions): Promise<RootedTarget> {
    if (opts.layers.length === 0) throw new TargetError('ENOENT', `${opts.name}: no layer directory`);
    let backing: Backing;
    let layers = opts.layers;
    if (parent.localPath) {
      // every component of a layer's path resolved inside the parent (an image's `diff` that is a link
      // to /etc resolves inside the image, never on this machine)
      layers = await Promise.all(opts.layers.map(async (l) => posix.dirname(await parent.localPath!(`${l}/.ir-probe`))));
      backing = new LocalBacking(layers);
    } else backing = new TargetBacking(parent);
    // all at once: over ssh they go to the host together (one follow-up), not one layer per round trip
    const stats = await Promise.all(layers.map((l) => backing.statRoot(l)));
    for (const [i, st] of stats.entries()) {
      if (st?.type !== 'dir') throw new TargetError(st ? 'ENOTDIR' : 'ENOENT', `${opts.layers[i]}: layer directory ${st ? 'is not a directory' : 'does not exist'}`, opts.layers[i]);
    }
    return new RootedTarget(parent, backing, layers, opts);
  }

  /** Opaque directories could not be told (getfattr missing or refused): deletions of whole directories may show their old content. */
  get opaqueUnavailable(): string | undefined {
    return this.opaque.unavailable;
  }

  /** The opaque directories of one layer (0 = top), as paths of the tree. */
  async opaqueDirs(layer = 0): Promise<Set<string>> {
    const root = this.layers[layer]!;
    const phys = await this.opaque.of(this.backing, root);
    return new Set([...phys].map((p) => (p === root ? '/' : p.startsWith(`${root}/`) ? p.slice(root.length) : p)));
  }

  private async root(): Promise<DirNode> {
    let p = this.dirs.get('/');
    if (!p) {
      p = (async () => ({ kind: 'dir' as const, dirs: this.layers, layer: 0, stat: (await this.backing.statRoot(this.layers[0]!))! }))();
      this.dirs.set('/', p);
    }
    return (await p)!;
  }

  private async isOpaque(layer: number, phys: string): Promise<boolean> {
    if (!this.opts.overlay || layer >= this.layers.length - 1) return false;
    return (await this.opaque.of(this.backing, this.layers[layer]!)).has(phys);
  }

  /** One name in a directory, merged across the layers that hold the directory. */
  private async child(parent: DirNode, parentPath: string, name: string): Promise<Node | null> {
    const logical = parentPath === '/' ? `/${name}` : `${parentPath}/${name}`;
    if (this.hidden.has(parentPath)) return null;
    const cached = this.dirs.get(logical);
    if (cached) return cached;
    const found: string[] = [];
    let first: { layer: number; stat: LayerStat } | undefined;
    for (const d of parent.dirs) {
      const layer = this.layerOf(d);
      const p = `${d}/${name}`;
      const st = await this.backing.lstat(p);
      if (!st) continue;
      if (this.opts.overlay && isWhiteout(st)) break;
      if (st.type !== 'dir') {
        if (found.length === 0) return { kind: 'leaf', phys: p, layer, stat: st };
        break;
      }
      found.push(p);
      first ??= { layer, stat: st };
      if (await this.isOpaque(layer, p)) break;
    }
    if (!first) return null;
    const node: DirNode = { kind: 'dir', dirs: found, layer: first.layer, stat: first.stat };
    this.dirs.set(logical, Promise.resolve(node));
    return node;
  }

  private layerOf(physDir: string): number {
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i]!;
      if (physDir === l || physDir.startsWith(`${l}/`)) return i;
    }
    return 0;
  }

  /** Resolves a logical path inside the tree; null when it does not exist. */
  private async resolve(path: string, followFinal: boolean): Promise<{ node: Node; path: string } | null> {
    const todo = posix.normalize(`/${path}`).split('/').filter(Boolean);
    const names: string[] = [];
    const nodes: Node[] = [await this.root()];
    let links = 0;
    while (todo.length > 0) {
      const part = todo.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        if (names.length > 0) {
          names.pop();
          nodes.pop();
        }
        continue;
      }
      const here = nodes[nodes.length - 1]!;
      if (here.kind !== 'dir') return null;
      const parentPath = `/${names.join('/')}`;
      const child = await this.child(here, parentPath, part);
      if (!child) return null;
      if (child.kind === 'leaf' && child.stat.type === 'symlink' && (todo.length > 0 || followFinal)) {
        if (++links > MAX_LINKS) throw new TargetError('ELOOP', `${path}: too many levels of symbolic links`, path);
        const target = await this.backing.readlink(child.phys);
        if (target.startsWith('/')) {
          names.length = 0;
          nodes.length = 1;
        }
        todo.unshift(...target.split('/').filter(Boolean));
        continue;
      }
      names.push(part);
      nodes.push(child);
    }
    return { node: nodes[nodes.length - 1]!, path: `/${names.join('/')}` };
  }

  private note(kind: 'read' | 'listed', ...paths: string[]): void {
    const rs = this.opts.readLog?.current();
    if (!rs) return;
    for (const p of paths) rs.add(kind, p);
  }

  private async found(path: string, followFinal: boolean): Promise<{ node: Node; path: string } | null> {
    const norm = posix.normalize(`/${path}`);
    this.note('read', norm);
    const r = await this.resolve(norm, followFinal);
    if (r && r.path !== norm) this.note('read', r.path);
    return r;
  }

  async lstat(path: string): Promise<FileStat | null> {
    return (await this.found(path, false))?.node.stat ?? null;
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      return (await this.found(path, true))?.node.stat ?? null;
    } catch (err) {
      if (err instanceof TargetError && err.code === 'ELOOP') return null;
      throw err;
    }
  }

  async list(dir: string): Promise<DirEntry[]> {
    const r = await this.found(dir, true);
    if (!r) throw new TargetError('ENOENT', `${dir}: no such file or directory`, dir);
    if (r.node.kind !== 'dir') throw new TargetError('ENOTDIR', `${dir}: not a directory`, dir);
    this.note('listed', r.path);
    if (this.hidden.has(r.path)) return [];
    const node = r.node;
    const names = new Set<string>();
    for (const d of node.dirs) {
      try {
        for (const n of await this.backing.names(d)) names.add(n);
      } catch (err) {
        if (d === node.dirs[0]) throw err instanceof TargetError ? new TargetError(err.code, `${dir}: ${err.message}`, dir) : err;
      }
    }
    const out: DirEntry[] = [];
    const sorted = [...names].sort();
    for (let i = 0; i < sorted.length; i += 64) {
      const batch = await Promise.all(
        sorted.slice(i, i + 64).map(async (name) => {
          const c = await this.child(node, r.path, name).catch(() => null);
          return c ? { name, path: joinPath(dir, name), stat: c.stat } : null;
        }),
      );
      for (const e of batch) if (e) out.push(e);
    }
    return out;
  }

  async readlink(path: string): Promise<string> {
    const r = await this.found(path, false);
    if (!r) throw new TargetError('ENOENT', `${path}: no such file or directory`, path);
    if (r.node.kind !== 'leaf' || r.node.stat.type !== 'symlink') throw new TargetError('IO', `${path}: not a symbolic link`, path);
    return this.backing.readlink(r.node.phys);
  }

  private async regular(path: string, follow: boolean): Promise<LeafNode> {
    const r = await this.found(path, follow);
    if (!r) throw new TargetError('ENOENT', `${path}: no such file or directory`, path);
    const n = r.node;
    if (n.kind === 'dir') throw new TargetError('EISDIR', `${path}: not a regular file (dir)`, path);
    if (n.stat.type === 'symlink') throw new TargetError('ELOOP', `${path}: is a symbolic link (not followed)`, path);
    if (n.stat.type !== 'file') throw new TargetError('NOT_REGULAR', `${path}: not a regular file (${n.stat.type})`, path);
    return n;
  }

  async readFile(path: string, opts: ReadOptions = {}): Promise<Buffer> {
    const n = await this.regular(path, true);
    return this.backing.read(n.phys, n.stat.ino, opts.maxBytes ?? 16 * 1024 * 1024, path);
  }

  async openRead(path: string, opts: { start?: number; end?: number } = {}): Promise<NodeJS.ReadableStream> {
    const n = await this.regular(path, false);
    return this.backing.open(n.phys, n.stat.ino, opts, path);
  }

  async xattrs(path: string, names?: string[]): Promise<Record<string, Buffer>> {
    const r = await this.found(path, false);
    if (!r) throw new TargetError('ENOENT', `${path}: no such file or directory`, path);
    return this.backing.xattrs(r.node.kind === 'dir' ? r.node.dirs[0]! : r.node.phys, names);
  }

  /** Where `path` lies on the parent (its top-most layer), for `docker cp`-free evidence and messages. */
  async physicalPath(path: string): Promise<string | null> {
    const r = await this.resolve(path, false);
    if (!r) return null;
    return r.node.kind === 'dir' ? r.node.dirs[0]! : r.node.phys;
  }

  /** Which layer (0 = top) holds `path` as the tree shows it; null when it does not exist. */
  async layerIndex(path: string): Promise<number | null> {
    const r = await this.resolve(path, false);
    return r ? r.node.layer : null;
  }

  /**
   * Over ssh, what `inputs` declare read in one batch per layer (host/batch/, the layer's directory as
   * the prefix), in parallel; the tree then reads those snapshots, and this tree is returned (its owner
   * closes it, and the snapshots with it). A second call adds to the same snapshots. Here (a local
   * parent) there is no round trip to save.
   */
  async prefetch(inputs: DeclaredInputs): Promise<Target> {
    if (this.backing.local || !this.parent.prefetchUnder) return this;
    // what an earlier call already fetched is not asked again (a view prefetched before its rescan)
    const paths = inputs.paths.filter((p) => !this.fetched.has(p));
    if (paths.length === 0) return this;
    for (const p of paths) this.fetched.add(p);
    if (!this.batching) {
      this.batching = (async () => {
        const opened = await Promise.allSettled(this.layers.map((l) => this.parent.prefetchUnder!(l, { paths })));
        const snaps = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        // a layer whose batch could not start: every layer read one request at a time, as before
        if (snaps.length < this.layers.length) await Promise.all(snaps.map((t) => t.close().catch(() => {})));
        else this.backing = new SnapshotBacking(this.backing, this.layers, snaps);
      })();
      await this.batching;
      return this;
    }
    await this.batching;
    if (this.backing instanceof SnapshotBacking) await Promise.all(this.backing.snaps.map((s) => s.prefetch?.({ paths })));
    return this;
  }

  private readonly fetched = new Set<string>();
  private batching?: Promise<void>;

  async exec(argv: string[]): Promise<ExecResult> {
    throw new NotAvailable(`running ${argv[0]} in container ${this.name}`);
  }

  alive(): Promise<boolean> {
    return this.parent.alive ? this.parent.alive() : Promise.resolve(true);
  }

  async close(): Promise<void> {
    await this.backing.close?.();
  }
}
