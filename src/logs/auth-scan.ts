import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { AuthEvent } from './auth-event.js';
import { FastScanner } from './auth-fast.js';
import { parseSyslogLine } from './auth-parse.js';
import { addEvent, addRawLine, type AuthStats, type StatsOptions } from './auth-stats.js';
import { parseJournalLine } from './journal.js';
import { LineSplitter } from './line-splitter.js';
import { SyslogClock } from './syslog-time.js';

export type InputFormat = 'syslog' | 'journal-json';

export interface ScanSettings {
  stats: AuthStats;
  opts: StatsOptions;
  /** ms epoch the last line was written (file mtime; now for stdin and the journal) */
  referenceMs: number;
  /** minutes east of UTC for classic timestamps */
  offsetMinutes: number;
  onEvent?: (e: AuthEvent) => void;
}

/** One function per line of the given format, adding into the stats. */
export function lineHandler(format: InputFormat, s: ScanSettings): (line: string) => void {
  const { stats, opts, onEvent } = s;
  const clock = new SyslogClock(s.referenceMs, s.offsetMinutes);
  return (line: string) => {
    stats.lines++;
    const r = format === 'journal-json' ? parseJournalLine(line) : parseSyslogLine(line, clock);
    if (!r.header) {
      stats.unparsed++;
      if (opts.tail > 0) addRawLine(stats, line.slice(0, 8192), opts);
      return;
    }
    if (!r.event) {
      if (opts.tail > 0) addRawLine(stats, line.slice(0, 8192), opts);
      return;
    }
    if (Number.isNaN(r.event.ts)) {
      stats.unparsed++;
      return;
    }
    if (addEvent(stats, r.event, opts)) onEvent?.(r.event);
  };
}

/**
 * The line splitter for one input, with the fast path (auth-fast.ts) for classic syslog when no
 * event is wanted one by one (--timeline) and no --ip/--user filter needs every event's fields.
 */
export function splitterFor(format: InputFormat, s: ScanSettings): LineSplitter {
  const onLine = lineHandler(format, s);
  if (format !== 'syslog' || s.onEvent || !FastScanner.usable(s.opts)) return new LineSplitter(onLine);
  const fast = new FastScanner(s.stats, s.opts, s.referenceMs, s.offsetMinutes, onLine);
  return new LineSplitter(onLine, (bytes) => fast.scan(bytes));
}

export interface Sniffed {
  compressed: boolean;
  format: InputFormat;
  chunks: AsyncIterable<Buffer>;
}

/**
 * Looks at the first bytes: gzip (`1f 8b`, whatever the name says) is decompressed as a stream, and
 * a stream whose first character is `{` is `journalctl -o json` output.
 */
export async function sniff(stream: NodeJS.ReadableStream): Promise<Sniffed> {
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value);
  const rest = (async function* () {
    if (head.length > 0) yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield Buffer.isBuffer(n.value) ? n.value : Buffer.from(n.value);
    }
  })();
  if (isGzip(head)) {
    const src = Readable.from(rest);
    const gunzip = createGunzip();
    src.on('error', (e) => gunzip.destroy(e));
    const inner = await sniff(src.pipe(gunzip));
    return { ...inner, compressed: true };
  }
  return { compressed: false, format: formatOf(head), chunks: rest };
}

/** gzip magic `1f 8b` */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** `journalctl -o json` output when the first character after white space is `{`, else syslog text. */
export function formatOf(head: Uint8Array): InputFormat {
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  return head[i] === 0x7b ? 'journal-json' : 'syslog';
}

/** Reads a whole stream through the splitter; returns the bytes read (decompressed). */
export async function scanChunks(chunks: AsyncIterable<Buffer>, onLine: ((line: string) => void) | LineSplitter, onBytes?: (n: number) => void): Promise<number> {
  const splitter = onLine instanceof LineSplitter ? onLine : new LineSplitter(onLine);
  for await (const c of chunks) {
    splitter.push(c);
    onBytes?.(c.length);
  }
  splitter.end();
  return splitter.bytes;
}
