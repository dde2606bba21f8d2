import { createHash } from 'node:crypto';
import type { Target } from '../host/target.js';
import { DpkgIndex } from '../host/facts/dpkg.js';
import type { Facts } from './facts.js';

/**
 * The package database as a shared scan fact: built once per scan, on first use, by whichever detector
 * asks first (facts.ts is the engine's; this keeps the dpkg part beside dpkg.ts).
 */
const indexes = new WeakMap<Facts, Promise<DpkgIndex | null>>();

export function dpkgIndex(facts: Facts): Promise<DpkgIndex | null> {
  let p = indexes.get(facts);
  if (!p) {
    p = DpkgIndex.load(facts.target).catch(() => null);
    indexes.set(facts, p);
  }
  return p;
}

/**
 * The package that ships `path`: its name, null when no package does, undefined when the target has no
 * dpkg database (not Debian): callers must not call a file "unowned" then.
 */
export async function packageOwner(facts: Facts, path: string): Promise<string | null | undefined> {
  const idx = await dpkgIndex(facts);
  if (!idx || !idx.covers(path)) return undefined;
  return idx.owner(path)[0] ?? null;
}

/** Makes packageOwner answer for paths outside the index (one batched pass over the file lists). */
export async function resolveOwners(facts: Facts, paths: string[]): Promise<void> {
  const idx = await dpkgIndex(facts);
  if (idx) await idx.lookup(facts.target, paths);
}

/** md5 of a file, streamed (binaries and logs can be large). */
export async function md5OfFile(t: Target, path: string): Promise<string> {
  const stream = await t.openRead(path);
  const h = createHash('md5');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** True when `path` is a conffile whose content still matches what the package shipped (`md5` of the content when the caller has it). */
export async function isPristineConffile(facts: Facts, path: string, md5?: string): Promise<boolean> {
  const idx = await dpkgIndex(facts);
  const c = idx?.conffile(path);
  if (!c) return false;
  return (md5 ?? (await md5OfFile(facts.target, path).catch(() => ''))) === c.md5;
}
