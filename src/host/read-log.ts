import { AsyncLocalStorage } from 'node:async_hooks';
import { posix } from 'node:path';
import type { Target } from './target.js';

/**
 * What a scan looked at in a tree, by path, so that another tree that differs from it in none of those
 * paths gets the same findings without being read again (twenty replicas of one image cost one scan).
 *
 * Reads are kept per reader: a detector reads through `scoped(tree, id)` (its calls run with its id in
 * an AsyncLocalStorage), everything else (the scan's shared facts: accounts, the package database)
 * lands in the shared set. A change a detector read invalidates that detector; a change in the shared
 * set invalidates all of them.
 */
export class ReadSet {
  /** paths whose content or metadata was read (stat, lstat, readFile, openRead, readlink, xattrs) */
  readonly read = new Set<string>();
  /** directories whose entries were listed */
  readonly listed = new Set<string>();
  /** every directory on the way to a path read or listed */
  readonly passed = new Set<string>();

  add(kind: 'read' | 'listed', path: string): void {
    const p = posix.normalize(`/${path}`);
    this[kind].add(p);
    for (let d = posix.dirname(p); d !== '/' && !this.passed.has(d); d = posix.dirname(d)) this.passed.add(d);
  }

  /** Whether a change at `path` (added, changed, deleted, or a directory replaced) can change what was read. */
  touchedBy(path: string, opts: { replacedDir?: boolean } = {}): boolean {
    if (this.read.has(path) || this.listed.has(path) || this.passed.has(path) || this.listed.has(posix.dirname(path))) return true;
    if (opts.replacedDir) {
      const under = `${path}/`;
      for (const s of [this.read, this.listed]) for (const p of s) if (p.startsWith(under)) return true;
    }
    return false;
  }

  /** Whether anything at or below `dir` was looked at (a mount that the image's tree did not have). */
  touchesUnder(dir: string): boolean {
    const under = dir === '/' ? '/' : `${dir}/`;
    for (const s of [this.read, this.listed, this.passed]) for (const p of s) if (p === dir || p.startsWith(under)) return true;
    return false;
  }
}

export const SHARED = '';

export class ReadLog {
  private readonly als = new AsyncLocalStorage<string>();
  /** by reader id; SHARED for reads outside any detector */
  readonly sets = new Map<string, ReadSet>();

  private sealed = false;

  /** Stops recording: the tree is read again later (to compare a container with it) without changing what the scan read. */
  seal(): void {
    this.sealed = true;
  }

  /** The set of whoever is reading now (none once sealed). */
  current(): ReadSet | undefined {
    if (this.sealed) return undefined;
    const id = this.als.getStore() ?? SHARED;
    let s = this.sets.get(id);
    if (!s) {
      s = new ReadSet();
      this.sets.set(id, s);
    }
    return s;
  }

  /** The same target, with every call recorded as `id`'s. */
  scoped<T extends Target>(t: T, id: string): T {
    const als = this.als;
    return new Proxy(t, {
      get(obj, prop, receiver) {
        const v = Reflect.get(obj, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => als.run(id, () => (v as (...a: unknown[]) => unknown).apply(obj, args));
      },
    });
  }
}
