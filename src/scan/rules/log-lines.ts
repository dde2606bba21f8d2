import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Target } from '../../host/target.js';
import { isMissing, listOrEmpty } from '../../host/target.js';

const MAX_LINE = 64 * 1024;

/**
 * Streams the lines of a log through the Target, gunzipping rotated `.gz` files (sniffed by their magic,
 * not their name): a 10 GB dpkg.log never sits in memory. Lines longer than 64 KiB are cut. Returns
 * false when the file does not exist.
 */
export async function eachLogLine(t: Target, path: string, onLine: (line: string) => void): Promise<boolean> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await t.openRead(path);
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
  let rest = '';
  const take = (buf: Buffer) => {
    const parts = (rest + buf.toString('utf8')).split('\n');
    rest = parts.pop()!.slice(0, MAX_LINE);
    for (const p of parts) onLine(p.length > MAX_LINE ? p.slice(0, MAX_LINE) : p);
  };
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head = await it.next();
  if (head.done) return true;
  async function* all(): AsyncGenerator<Buffer> {
    yield head.value as Buffer;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
  }
  let source: AsyncIterable<Buffer> = all();
  const h = head.value as Buffer;
  if (h.length >= 2 && h[0] === 0x1f && h[1] === 0x8b) {
    const gunzip = createGunzip();
    pipeline(Readable.from(all()), gunzip, () => {});
    source = gunzip;
  }
  for await (const chunk of source) take(chunk);
  if (rest) onLine(rest);
  return true;
}

/** A log and its rotations (`dpkg.log`, `dpkg.log.1`, `dpkg.log.2.gz` …), oldest first. */
export async function rotations(t: Target, path: string): Promise<string[]> {
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  const name = path.slice(path.lastIndexOf('/') + 1);
  const found: { path: string; n: number }[] = [];
  for (const e of await listOrEmpty(t, dir)) {
    if (e.stat.type !== 'file') continue;
    if (e.name === name) found.push({ path: e.path, n: 0 });
    const m = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)(\\.gz)?$`).exec(e.name);
    if (m) found.push({ path: e.path, n: Number(m[1]) });
  }
  return found.sort((a, b) => b.n - a.n).map((f) => f.path);
}
