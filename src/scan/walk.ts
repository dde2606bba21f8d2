import pLimit from 'p-limit';
import type { DirEntry, Target } from '../host/target.js';

export interface WalkOptions {
  /** absolute paths not entered (pseudo file systems, container layers) */
  prune?: (path: string) => boolean;
  maxDepth?: number;
  /** stop after this many entries; the caller reports that the walk was cut short */
  maxEntries?: number;
  concurrency?: number;
}

/**
 * Walks directories through the Target (works live, over sftp and inside an offline root). Never follows
 * symlinks: list() gives each entry's lstat, so a link loop or a link out of `--root` is never entered.
 */
export async function walk(t: Target, roots: string[], onEntry: (e: DirEntry) => void | Promise<void>, onError: (dir: string, err: Error) => void, opts: WalkOptions = {}): Promise<{ entries: number; truncated: boolean }> {
  const limit = pLimit(opts.concurrency ?? 16);
  const maxDepth = opts.maxDepth ?? 64;
  const max = opts.maxEntries ?? Number.POSITIVE_INFINITY;
  let entries = 0;
  let truncated = false;
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (entries >= max) {
      truncated = true;
      return;
    }
    let list: DirEntry[];
    try {
      list = await limit(() => t.list(dir));
    } catch (err) {
      onError(dir, err as Error);
      return;
    }
    const subdirs: string[] = [];
    for (const e of list) {
      if (++entries > max) {
        truncated = true;
        break;
      }
      await onEntry(e);
      if (e.stat.type === 'dir' && depth < maxDepth && !opts.prune?.(e.path)) subdirs.push(e.path);
    }
    await Promise.all(subdirs.map((d) => visit(d, depth + 1)));
  };
  await Promise.all(roots.map(async (r) => ((await t.lstat(r).catch(() => null))?.type === 'dir' ? visit(r, 1) : undefined)));
  return { entries, truncated };
}
