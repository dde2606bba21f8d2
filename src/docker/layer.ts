import type { FileStat, Target } from '../host/target.js';
import { RootedTarget, isWhiteout, type OpaqueIndex } from '../host/rooted.js';
import { docker } from './cli.js';

/**
 * What a container changed since its image: its writable layer, read as it lies on disk (every entry of
 * overlay2's `diff` directory is added or changed; a character device 0/0 is a deleted name; an opaque
 * directory replaced the image's directory of that name), or, where that directory cannot be read,
 * `docker diff` (A, C, D lines) with the files read through the container's own view.
 */

export type ChangeKind = 'added' | 'changed' | 'deleted';

export interface LayerChange {
  /** path inside the container */
  path: string;
  kind: ChangeKind;
  /** the entry in the layer (absent for a deletion, or from docker diff) */
  stat?: FileStat;
  /** the same path in the image, where known (null: not in the image) */
  imageStat?: FileStat | null;
  /** a directory that replaced the image's (opaque): everything the image had below it is gone */
  opaque?: boolean;
  /** where the change lives: the writable layer, or a tmpfs mount (/dev/shm) of a running container */
  where: 'layer' | 'tmpfs';
}

export interface LayerDiff {
  changes: LayerChange[];
  /** how the changes were found */
  source: 'layer' | 'docker-diff';
  truncated: boolean;
  notes: string[];
}

export const MAX_LAYER_ENTRIES = 200_000;

/** Opens a writable layer as it is on disk (whiteouts visible as character devices). */
/** A writable layer's names and metadata, everything (its diff walks it all): as a declaration. */
export const LAYER_NAMES = '/** (lstat)';

export function openLayer(parent: Target, upper: string, name: string, opaque?: OpaqueIndex): Promise<RootedTarget> {
  return RootedTarget.open(parent, { name, layers: [upper], overlay: false, opaque });
}

/** Walks a layer (or a tmpfs through a container's view), depth first, links never entered. */
export async function walkTree(t: Target, root: string, visit: (path: string, st: FileStat) => Promise<void> | void, opts: { maxEntries: number; onError?: (path: string, err: Error) => void }): Promise<{ entries: number; truncated: boolean }> {
  const stack = [root];
  let entries = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let list;
    try {
      list = await t.list(dir);
    } catch (err) {
      opts.onError?.(dir, err as Error);
      continue;
    }
    for (const e of list) {
      if (++entries > opts.maxEntries) return { entries, truncated: true };
      await visit(e.path, e.stat);
      if (e.stat.type === 'dir') stack.push(e.path);
    }
  }
  return { entries, truncated: false };
}

/**
 * The writable layer's changes. `image` is the image's own tree (to tell added from changed and to
 * know what a whiteout deleted); without it every entry counts as added.
 */
export async function layerChanges(layer: RootedTarget, image: Target | null, maxEntries = MAX_LAYER_ENTRIES): Promise<LayerDiff> {
  const notes: string[] = [];
  // over ssh the whole layer's names and metadata in one batch (its files' contents are read later, few)
  await layer.prefetch({ paths: [LAYER_NAMES] });
  const opaque = await layer.opaqueDirs();
  if (layer.opaqueUnavailable) notes.push(`opaque directories cannot be told (${layer.opaqueUnavailable}): a directory deleted and made again shows the image's old entries`);
  const changes: LayerChange[] = [];
  const r = await walkTree(
    layer,
    '/',
    async (path, st) => {
      const imageStat = image ? await image.lstat(path).catch(() => null) : undefined;
      if (isWhiteout(st)) {
        changes.push({ path, kind: 'deleted', imageStat, where: 'layer' });
        return;
      }
      if (st.type === 'dir') {
        const isOpaque = opaque.has(path);
        // a directory that only holds changes below it is not itself a change; one whose owner or mode
        // changed (chmod 777 /etc/cron.d) is
        const retyped = imageStat !== undefined && (imageStat === null || imageStat.type !== 'dir' || imageStat.mode !== st.mode || imageStat.uid !== st.uid || imageStat.gid !== st.gid);
        if (isOpaque || retyped) changes.push({ path, kind: imageStat ? 'changed' : 'added', stat: st, imageStat, opaque: isOpaque || undefined, where: 'layer' });
        return;
      }
      changes.push({ path, kind: imageStat ? 'changed' : 'added', stat: st, imageStat, where: 'layer' });
    },
    { maxEntries, onError: (p, err) => notes.push(`${p}: not listed (${err.message})`) },
  );
  if (r.truncated) notes.push(`the writable layer has more than ${maxEntries} entries: only the first ${maxEntries} were judged`);
  return { changes, source: 'layer', truncated: r.truncated, notes };
}

/** `docker diff`: `A /path`, `C /path`, `D /path`, one per line (paths are raw, a newline in a name splits it). */
export function parseDockerDiff(text: string): { kind: ChangeKind; path: string }[] {
  const out: { kind: ChangeKind; path: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([ACD]) (\/.*)$/.exec(line);
    if (m) out.push({ kind: m[1] === 'A' ? 'added' : m[1] === 'C' ? 'changed' : 'deleted', path: m[2]! });
  }
  return out;
}

/** The changes as the engine reports them, with stats from the container's view where one exists. */
export async function dockerDiffChanges(host: Target, id: string, view: Target | null, image: Target | null): Promise<LayerDiff> {
  const res = await docker(host, ['diff', id], { timeoutMs: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (res.code !== 0) throw new Error(`docker diff: ${res.stderr.toString('utf8').trim().split('\n')[0] || `exit ${res.code}`}`);
  const changes: LayerChange[] = [];
  for (const d of parseDockerDiff(res.stdout.toString('utf8'))) {
    const stat = d.kind === 'deleted' || !view ? undefined : (await view.lstat(d.path).catch(() => null)) ?? undefined;
    // a directory that changed only because something below it did is not itself a change
    if (d.kind === 'changed' && stat?.type === 'dir') continue;
    const imageStat = image ? await image.lstat(d.path).catch(() => null) : undefined;
    changes.push({ path: d.path, kind: d.kind, stat, imageStat, where: 'layer' });
  }
  return { changes, source: 'docker-diff', truncated: false, notes: [] };
}

/** Entries of a running container's tmpfs mounts (/dev/shm): nothing there is in any layer, and it dies with the container. */
export async function tmpfsChanges(view: Target, mounts: string[], maxEntries = 20_000): Promise<LayerChange[]> {
  const out: LayerChange[] = [];
  // over ssh the mounts' names and metadata in one batch
  if (mounts.length) await view.prefetch?.({ paths: mounts.map((m) => `${m.replace(/\/+$/, '')}/** (lstat)`) });
  for (const m of mounts) {
    const st = await view.lstat(m).catch(() => null);
    if (st?.type !== 'dir') continue;
    await walkTree(view, m, (path, s) => {
      if (s.type !== 'dir') out.push({ path, kind: 'added', stat: s, imageStat: null, where: 'tmpfs' });
    }, { maxEntries });
  }
  return out;
}
