import type { Target } from '../../host/target.js';

export interface Found {
  path: string;
  type: 'file' | 'dir' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
}

/** `find -printf` fields: type, mode (octal), uid, gid, size, mtime, then the path; NUL-terminated (names may hold newlines). */
const FORMAT = '%y %m %U %G %s %T@ %p\\0';
/** In `expr`, where the caller wants a match printed. */
export const PRINT = '\u0000print';

/**
 * One GNU `find` on a live host (here or over ssh, with --sudo's rights) instead of a walk of a
 * thousand directory listings: one round trip over ssh. Null where it cannot run (an offline image,
 * busybox find, no find): the caller walks through the Target instead. Stops at `max` matches.
 */
export async function findOnHost(t: Target, roots: string[], expr: string[], max: number): Promise<{ found: Found[]; truncated: boolean } | null> {
  if (!t.live || roots.length === 0) return null;
  const argv = ['find', '-P', ...roots, ...expr.flatMap((e) => (e === PRINT ? ['-printf', FORMAT] : [e]))];
  let res;
  try {
    res = await t.exec(argv, { privileged: true, timeoutMs: 120_000, maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return null;
  }
  const out = res.stdout.toString('utf8');
  // find exits 1 for an unreadable directory and still prints the rest; nothing printed and an error is "cannot run"
  if (res.code !== 0 && out.length === 0 && !/No such file or directory/.test(res.stderr.toString('utf8'))) return null;
  const found: Found[] = [];
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const m = /^(\S) ([0-7]+) (\d+) (\d+) (\d+) ([\d.]+) (\/.*)$/s.exec(rec);
    if (!m) continue;
    if (found.length >= max) return { found, truncated: true };
    found.push({ type: m[1] === 'f' ? 'file' : m[1] === 'd' ? 'dir' : 'other', mode: parseInt(m[2]!, 8), uid: Number(m[3]), gid: Number(m[4]), size: Number(m[5]), mtime: Number(m[6]), path: m[7]! });
  }
  return { found, truncated: Boolean(res.timedOut) };
}
