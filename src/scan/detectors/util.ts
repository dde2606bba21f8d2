import type { FileStat, Target } from '../../host/target.js';
import { TargetError } from '../../host/target.js';
import type { Collector } from '../detector.js';

/** Text files are read as a bounded prefix: a 1 GB "crontab" must not stall a scan. */
export const MAX_TEXT = 1024 * 1024;

/**
 * Reads a text file for a detector: null when missing; unreadable, binary or oversized files become
 * warnings and the scan goes on. Symlinks are followed only inside the target (ImageHost keeps them in the image).
 */
export async function readBounded(t: Target, c: Collector, path: string, max = MAX_TEXT): Promise<{ text: string; stat: FileStat; truncated: boolean } | null> {
  let stat: FileStat | null;
  try {
    stat = await t.stat(path);
  } catch (err) {
    c.warn(err instanceof Error ? err.message : String(err), path);
    return null;
  }
  if (!stat) return null;
  if (stat.type !== 'file') {
    if (stat.type !== 'dir') c.warn(`not a regular file (${stat.type}), not read`, path);
    return null;
  }
  let buf: Buffer;
  try {
    buf = await t.readFile(path, { maxBytes: max + 1 });
  } catch (err) {
    if (err instanceof TargetError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return null;
    c.warn(err instanceof Error ? err.message : String(err), path);
    return null;
  }
  const truncated = buf.length > max;
  if (truncated) {
    c.warn(`larger than ${max} bytes: only the first ${max} bytes were read`, path);
    buf = buf.subarray(0, max);
  }
  if (buf.subarray(0, 8192).includes(0)) {
    c.warn('binary content where text was expected', path);
  }
  return { text: buf.toString('utf8'), stat, truncated };
}
