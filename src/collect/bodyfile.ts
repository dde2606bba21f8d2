import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import type { FileStat } from '../host/target.js';

const TYPE_CHAR: Record<FileStat['type'], string> = { file: '-', dir: 'd', symlink: 'l', fifo: 'p', socket: 's', char: 'c', block: 'b', unknown: '-' };

/** `-rwsr-xr-x` as ls and The Sleuth Kit's mactime print it. */
export function modeString(st: FileStat): string {
  const m = st.mode;
  const rwx = (shift: number, special: number, ch: string) => {
    const r = m & (4 << shift) ? 'r' : '-';
    const w = m & (2 << shift) ? 'w' : '-';
    const x = m & (1 << shift);
    const s = m & special;
    return r + w + (s ? (x ? ch : ch.toUpperCase()) : x ? 'x' : '-');
  };
  return TYPE_CHAR[st.type] + rwx(6, 0o4000, 's') + rwx(3, 0o2000, 's') + rwx(0, 0o1000, 't');
}

/**
 * One line of a TSK 3 bodyfile, as UAC writes it from stat: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime.
 * MD5 is 0 (the archive's manifest has SHA-256 of what was collected); a link is "name -> target";
 * `|` in a name is escaped as TSK does not quote.
 */
export function bodyfileLine(path: string, st: FileStat, linkTarget?: string): string {
  return record(path, linkTarget, [st.ino ?? 0, modeString(st), st.uid, st.gid, st.size, st.atime, st.mtime, st.ctime]);
}

/** ino, mode string, uid, gid, size, atime, mtime, ctime (seconds, fractions cut) */
type Stat8 = [number | string, string, number | string, number | string, number | string, number | string | undefined, number | string | undefined, number | string | undefined];

function record(path: string, linkTarget: string | undefined, [ino, mode, uid, gid, size, a, m, c]: Stat8): string {
  const name = (linkTarget ? `${path} -> ${linkTarget}` : path).replace(/\|/g, '\\|').replace(/\n/g, '\\n');
  const s = (n: number | string | undefined) => String(Math.floor(Number(n ?? 0)));
  return `0|${name}|${ino}|${mode}|${uid}|${gid}|${size}|${s(a)}|${s(m)}|${s(c)}|0\n`;
}

/**
 * GNU find's `-printf` for one bodyfile record, the way UAC builds its bodyfile: stat on the host in one
 * process instead of a round trip per directory (over ssh a walk of 400,000 entries took a minute). The
 * numbers and the mode (`%M` is ls's, as modeString), then the path and the link target, NUL-separated:
 * a name can hold any other byte.
 */
export const FIND_PRINTF = '%i %M %U %G %s %A@ %T@ %C@\\0%p\\0%l\\0';

/**
 * Parses find's records as they stream and writes their bodyfile lines to `out`, with its
 * backpressure. `keep(path)` decides per entry; find prints a directory before its contents, so
 * when `keep` drops a directory (`prune`), everything under it is dropped without asking.
 */
export class FindToBodyfile extends Writable {
  records = 0;
  private rest = Buffer.alloc(0);
  private fields: string[] = [];
  private pruned: string | null = null;

  /**
   * `rename` maps find's path to the one the bodyfile shows (an offline image: the image's own path);
   * it is called once per record, in find's order.
   */
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly keep: (path: string) => 'keep' | 'skip' | 'prune',
    private readonly rename: (path: string) => string = (p) => p,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let lines = '';
    let start = 0;
    for (let nul = buf.indexOf(0, start); nul !== -1; nul = buf.indexOf(0, start)) {
      this.fields.push(buf.toString('utf8', start, nul));
      start = nul + 1;
      if (this.fields.length < 3) continue;
      const [stat, found, link] = this.fields as [string, string, string];
      const path = this.rename(found);
      this.fields = [];
      this.records++;
      if (this.pruned !== null && path.startsWith(`${this.pruned}/`)) continue;
      this.pruned = null;
      const k = this.keep(path);
      if (k === 'prune') this.pruned = path;
      if (k !== 'keep') continue;
      lines += record(path, link, stat.split(' ') as Stat8);
    }
    this.rest = Buffer.from(buf.subarray(start));
    if (!lines || this.out.write(lines)) cb();
    else this.out.once('drain', () => cb());
  }
}

/**
 * A bodyfile line's name field as written (escaped, with ` -> target` for a link): up to the first `|`
 * that is not escaped. Lines written from the same path and link give the same field.
 */
export function bodyfileName(line: string): string {
  let i = 2;
  for (;;) {
    const bar = line.indexOf('|', i);
    if (bar === -1) return line.slice(2);
    if (line[bar - 1] !== '\\') return line.slice(2, bar);
    i = bar + 1;
  }
}

/**
 * Copies bodyfile lines to `out` (with its backpressure), leaving out those whose name field is in
 * `drop`: the listing's lines for paths the collection wrote its own lines for.
 */
export class BodyfileFilter extends Writable {
  private rest = '';
  /** a character cut between two chunks is decoded whole */
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly drop: ReadonlySet<string>,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pass(this.rest + this.decoder.write(chunk), cb, false);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.pass(this.rest + this.decoder.end(), cb, true);
  }

  private pass(text: string, cb: (err?: Error | null) => void, last: boolean): void {
    const end = last ? text.length : text.lastIndexOf('\n') + 1;
    this.rest = text.slice(end);
    let kept = '';
    let start = 0;
    while (start < end) {
      const nl = text.indexOf('\n', start);
      const stop = nl === -1 || nl >= end ? end : nl + 1;
      const line = text.slice(start, stop);
      if (this.drop.size === 0 || !this.drop.has(bodyfileName(line))) kept += line;
      start = stop;
    }
    if (!kept || this.out.write(kept)) cb();
    else this.out.once('drain', () => cb());
  }
}
