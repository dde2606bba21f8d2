import { closeSync, openSync, readSync } from 'node:fs';
import { LineSplitter } from '../logs/line-splitter.js';

const CHUNK = 1 << 20;

/**
 * Each JSON line of a JSONL file (auth-timeline.jsonl), read in 1 MiB chunks: a timeline of a 10 GB
 * log never sits in memory. A line that is not JSON (torn, cut at 1 MiB) is skipped; a missing file
 * gives false.
 */
export function forEachJsonLine(path: string, fn: (value: unknown) => void): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  const split = new LineSplitter((text) => {
    for (const line of text.split('\n')) {
      if (!line) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        continue;
      }
      fn(v);
    }
  });
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n <= 0) break;
      // LineSplitter may keep a view of the chunk's tail until the next push: give it a copy
      split.push(Buffer.from(buf.subarray(0, n)));
    }
    split.end();
  } finally {
    closeSync(fd);
  }
  return true;
}
