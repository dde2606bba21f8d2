import type { EvidenceWriter } from '../evidence/writer.js';
import { OpaqueIndex, RootedTarget, isWhiteout } from '../host/rooted.js';
import type { FileStat, Target } from '../host/target.js';
import { dockerCpStream } from './cp.js';
import { dockerDiffChanges, openLayer, walkTree } from './layer.js';
import type { ContainerRecord } from './storage.js';

/**
 * A container's writable layer into an evidence archive, under one layout for `ir collect` and the
 * isolation snapshot: `docker/<project>/<container>/layer/<path>` for every added or changed file (hash
 * in the manifest), links as links, and `layer-changes.jsonl` listing every change (deletions too,
 * one JSON object per line so any name survives). Files are streamed from the layer directory through
 * the Target; where that directory cannot be read, `docker diff` names the changes and each file comes
 * through the container's running view or `docker cp`. Every cut and skip is in acquisition.log.
 */

export interface LayerLimits {
  /** bytes of one file at most (the rest is cut, noted) */
  maxFile: number;
  /** bytes of one container at most (later files skipped, noted) */
  maxContainer: number;
}

export const DEFAULT_LAYER_LIMITS: LayerLimits = { maxFile: 256 * 1024 * 1024, maxContainer: 2 * 1024 * 1024 * 1024 };

export interface LayerEvidence {
  /** how the files were read: the layer directory, the running view, docker cp, or not at all */
  how: 'layer' | 'running' | 'docker-cp' | 'none';
  files: number;
  links: number;
  bytes: number;
  deleted: number;
  /** files cut at the per-file limit or skipped past the per-container limit */
  cut: number;
  skipped: number;
}

/** Archive name of a container: its Compose project and name, `_` for a container outside Compose. */
export function containerBase(c: { name: string; project?: string }): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';
  return `docker/${c.project ? safe(c.project) : '_'}/${safe(c.name)}`;
}

interface Change {
  path: string;
  kind: 'added' | 'changed' | 'deleted' | 'opaque';
  type?: string;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  link?: string;
}

class Store {
  readonly out: LayerEvidence;
  readonly changes: Change[] = [];
  private budget: number;
  private skipNotes = 0;

  constructor(
    private readonly w: EvidenceWriter,
    private readonly base: string,
    private readonly rec: ContainerRecord,
    private readonly limits: LayerLimits,
    how: LayerEvidence['how'],
    private readonly tick?: (what: string) => void,
  ) {
    this.out = { how, files: 0, links: 0, bytes: 0, deleted: 0, cut: 0, skipped: 0 };
    this.budget = limits.maxContainer;
  }

  private meta(st: FileStat, source: string) {
    return { mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime, source };
  }

  async link(path: string, st: FileStat, target: string, source: string): Promise<void> {
    this.changes.push({ path, kind: 'added', type: 'symlink', mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime, link: target });
    await this.w.addSymlink(`${this.base}/layer${path}`, target, this.meta(st, source));
    this.out.links++;
  }

  /** Stores one file from `open(start, end)`, bounded by the limits. */
  async file(path: string, st: FileStat, kind: 'added' | 'changed', source: string, open: (end: number | undefined) => Promise<NodeJS.ReadableStream>): Promise<void> {
    this.changes.push({ path, kind, type: 'file', size: st.size, mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime });
    const entry = `${this.base}/layer${path}`;
    if (this.budget <= 0 && st.size > 0) {
      this.out.skipped++;
      if (this.skipNotes++ < 1000) this.w.skip(entry, `per-container limit of ${this.limits.maxContainer} bytes reached (${st.size} bytes not stored; --layer-max-total)`);
      return;
    }
    const size = Math.min(st.size, this.limits.maxFile, this.budget);
    const truncatedFrom = size < st.size ? st.size : undefined;
    this.tick?.(`${this.rec.name}:${path}`);
    let stream: NodeJS.ReadableStream;
    try {
      // a cut file is read to the cut; a whole one to a byte past its size at open, so growth is seen
      stream = await open(truncatedFrom !== undefined ? size - 1 : size);
    } catch (err) {
      this.w.notRead(entry, err, 'not read: ');
      this.out.skipped++;
      return;
    }
    if (truncatedFrom !== undefined) {
      this.out.cut++;
      this.w.note(`${entry}: ${truncatedFrom} bytes, stored the first ${size} (${size === this.limits.maxFile ? '--layer-max-file-size' : '--layer-max-total'})`);
    }
    this.budget -= size;
    await this.w.addStream(entry, stream, { ...this.meta(st, source), size, ...(truncatedFrom !== undefined ? { truncatedFrom } : {}) }).catch((err: Error) => {
      // the writer recorded the entry zero-filled with the read error; an archive failure is fatal
      if (this.w.failure) throw err;
    });
    this.out.files++;
    this.out.bytes += size;
  }

  async finish(notes: string[]): Promise<LayerEvidence> {
    const lines = this.changes.map((c) => JSON.stringify(c)).join('\n');
    await this.w.addBuffer(`${this.base}/layer-changes.jsonl`, Buffer.from(lines ? `${lines}\n` : ''), { source: `changes of ${this.rec.name}'s writable layer (${this.out.how})`, mode: 0o644 });
    for (const n of notes) this.w.note(`${this.base}: ${n}`);
    this.w.note(`${this.base}/layer: ${this.out.files} file(s), ${this.out.links} link(s), ${this.out.bytes} bytes, ${this.out.deleted} deletion(s), read from ${this.out.how === 'layer' ? 'the layer directory' : this.out.how === 'running' ? 'the running container (/proc/PID/root)' : this.out.how === 'docker-cp' ? 'docker cp' : 'nowhere'}${this.out.cut ? `; ${this.out.cut} cut` : ''}${this.out.skipped ? `; ${this.out.skipped} not stored` : ''}`);
    return this.out;
  }
}

/** The writable layer of one container, read from its directory (never following a link). */
async function fromLayerDir(host: Target, rec: ContainerRecord, s: Store, notes: string[]): Promise<boolean> {
  if (!rec.layers) return false;
  let layer: RootedTarget;
  try {
    layer = await openLayer(host, rec.layers.upper, rec.name, new OpaqueIndex());
  } catch (err) {
    notes.push(`the layer directory ${rec.layers.upper} cannot be read (${(err as Error).message})`);
    return false;
  }
  const opaque = await layer.opaqueDirs();
  if (layer.opaqueUnavailable) notes.push(`opaque directories not told (${layer.opaqueUnavailable})`);
  const source = (p: string) => `${rec.name}:${p} (writable layer ${rec.layers!.upper})`;
  const r = await walkTree(
    layer,
    '/',
    async (path, st) => {
      if (isWhiteout(st)) {
        s.changes.push({ path, kind: 'deleted' });
        s.out.deleted++;
      } else if (st.type === 'dir') {
        if (opaque.has(path)) s.changes.push({ path, kind: 'opaque', type: 'dir', mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime });
      } else if (st.type === 'symlink') {
        const target = await layer.readlink(path).catch(() => null);
        if (target === null) notes.push(`${path}: link not read`);
        else await s.link(path, st, target, source(path));
      } else if (st.type === 'file') {
        await s.file(path, st, 'added', source(path), (end) => layer.openRead(path, { start: 0, end }));
      } else {
        s.changes.push({ path, kind: 'added', type: st.type, mode: st.mode, uid: st.uid, mtime: st.mtime });
        notes.push(`${path}: ${st.type}, listed in layer-changes.jsonl, not read`);
      }
    },
    { maxEntries: 2_000_000, onError: (p, err) => notes.push(`${p}: not listed (${err.message})`) },
  );
  if (r.truncated) notes.push('more than 2,000,000 entries: the rest was not stored');
  await layer.close();
  return true;
}

/** Where the layer directory cannot be read: the engine names the changes, the running view or docker cp reads them. */
async function fromEngine(host: Target, rec: ContainerRecord, s: Store, notes: string[]): Promise<void> {
  let view: RootedTarget | null = null;
  if (rec.running && rec.pid > 0) {
    view = await RootedTarget.open(host, { name: rec.name, layers: [`/proc/${rec.pid}/root`], overlay: false, hidden: ['/proc', '/sys'] }).catch(() => null);
  }
  s.out.how = view ? 'running' : 'docker-cp';
  try {
    await engineCopy(host, rec, s, notes, view);
  } finally {
    await view?.close();
  }
}

async function engineCopy(host: Target, rec: ContainerRecord, s: Store, notes: string[], view: RootedTarget | null): Promise<void> {
  const diff = await dockerDiffChanges(host, rec.id, view, null);
  for (const c of diff.changes) {
    if (c.kind === 'deleted') {
      s.changes.push({ path: c.path, kind: 'deleted' });
      s.out.deleted++;
      continue;
    }
    if (view) {
      const st = c.stat;
      if (!st || st.type === 'dir') continue;
      if (st.type === 'symlink') await s.link(c.path, st, await view.readlink(c.path).catch(() => '?'), `${rec.name}:${c.path} (running container)`);
      else if (st.type === 'file') await s.file(c.path, st, c.kind as 'added' | 'changed', `${rec.name}:${c.path} (running container)`, (end) => view!.openRead(c.path, { start: 0, end }));
      continue;
    }
    // docker cp of one path at a time: a directory would bring its whole subtree, so only files and links
    const res = await dockerCpStream(host, rec.id, c.path, async (e, body) => {
      if (e.type === 'dir') return void body.resume();
      const st: FileStat = { type: e.type === 'other' ? 'unknown' : e.type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: e.size, mtime: e.mtime, atime: e.mtime };
      if (e.path.replace(/\/$/, '').split('/').length > 1) return void body.resume(); // an entry inside a copied directory
      if (e.type === 'symlink') {
        body.resume();
        await s.link(c.path, st, e.linkTarget ?? '', `${rec.name}:${c.path} (docker cp)`);
      } else if (e.type === 'file') {
        await s.file(c.path, st, c.kind as 'added' | 'changed', `${rec.name}:${c.path} (docker cp)`, async () => body);
        body.resume(); // whatever was not stored (past a limit) is drained, never held
      } else body.resume();
    }).catch((err: Error) => ({ code: -1, stderr: Buffer.from(err.message) }));
    if (res.code !== 0) notes.push(`docker cp ${c.path}: ${res.stderr.toString('utf8').trim().split('\n')[0] || `exit ${res.code}`}`);
  }
}

/** Stores one container's writable layer; never throws for the container's own problems (they are noted). */
export async function storeContainerLayer(host: Target, rec: ContainerRecord, w: EvidenceWriter, limits: LayerLimits, tick?: (what: string) => void): Promise<LayerEvidence> {
  const base = containerBase(rec);
  const s = new Store(w, base, rec, limits, 'layer', tick);
  const notes: string[] = [];
  if (!rec.layers && rec.layersMissing) notes.push(rec.layersMissing);
  if (!(await fromLayerDir(host, rec, s, notes))) {
    if (host.live) {
      notes.push('falls back to docker diff with the files read through the engine');
      try {
        await fromEngine(host, rec, s, notes);
      } catch (err) {
        if (w.failure) throw err;
        s.out.how = 'none';
        w.notRead(`${base}/layer`, err, 'writable layer not copied: ');
      }
    } else {
      s.out.how = 'none';
      w.skip(`${base}/layer`, `writable layer not copied: ${notes.join('; ') || 'no layer directory'}`);
    }
  }
  return s.finish(notes);
}

/**
 * A running container's tmpfs mounts (/dev/shm and declared tmpfs): in no layer, gone when it stops.
 * Stored under docker/<project>/<container>/tmpfs/<path>, read through /proc/PID/root, before any cut.
 */
export async function storeContainerTmpfs(host: Target, rec: ContainerRecord, w: EvidenceWriter, limits: LayerLimits): Promise<number> {
  if (!rec.running || rec.pid <= 0 || rec.tmpfs.length === 0) return 0;
  const base = containerBase(rec);
  let view: RootedTarget;
  try {
    view = await RootedTarget.open(host, { name: rec.name, layers: [`/proc/${rec.pid}/root`], overlay: false, hidden: ['/proc', '/sys'] });
  } catch (err) {
    w.notRead(`${base}/tmpfs`, err, `/proc/${rec.pid}/root not readable: `);
    return 0;
  }
  let budget = limits.maxContainer;
  let n = 0;
  for (const m of rec.tmpfs) {
    if ((await view.lstat(m).catch(() => null))?.type !== 'dir') continue;
    await walkTree(
      view,
      m,
      async (path, st) => {
        const entry = `${base}/tmpfs${path}`;
        const meta = { mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime, source: `${rec.name}:${path} (tmpfs of the running container)` };
        if (st.type === 'symlink') {
          await w.addSymlink(entry, await view.readlink(path).catch(() => '?'), meta);
          return;
        }
        if (st.type !== 'file') return;
        if (budget <= 0) return void w.skip(entry, `per-container limit of ${limits.maxContainer} bytes reached`);
        const size = Math.min(st.size, limits.maxFile, budget);
        if (size < st.size) w.note(`${entry}: ${st.size} bytes, stored the first ${size}`);
        const stream = await view.openRead(path, { start: 0, end: size < st.size ? size - 1 : size }).catch((err: Error) => (w.notRead(entry, err, 'not read: '), null));
        if (!stream) return;
        budget -= size;
        await w.addStream(entry, stream, { ...meta, size, ...(size < st.size ? { truncatedFrom: st.size } : {}) }).catch((err: Error) => {
          if (w.failure) throw err;
        });
        n++;
      },
      { maxEntries: 100_000, onError: (p, err) => w.note(`${base}/tmpfs${p}: not listed (${err.message})`) },
    );
  }
  await view.close();
  if (n) w.note(`${base}/tmpfs: ${n} file(s) from the tmpfs mounts ${rec.tmpfs.join(', ')}`);
  return n;
}
