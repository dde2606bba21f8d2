import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { FileStat, Target } from '../../host/target.js';
import { TargetError, isMissing } from '../../host/target.js';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { instanceKey, type Severity } from '../../core/finding.js';
import { Collector } from '../detector.js';

/**
 * How the scan reads files. Padding is an attacker's trick (1.2 MB of comments, then a key), so
 * line-oriented detectors read WHOLE files, streamed, in bounded memory, up to a generous budget; a
 * file of a persistence location far above its normal size is itself a finding, and one beyond the
 * budget is "too large to judge". Every content read of the scan goes through `readContent`, the one
 * place a batched remote reader can hook.
 */

/** Bytes judged per file: beyond it the file is "too large to judge" (its first BUDGET bytes still are). */
export const BUDGET = 64 * 1024 * 1024;
/** The longest logical line handed to the rules (regexes can be quadratic on multi-megabyte lines). */
export const MAX_LINE = 64 * 1024;
/** Whole-text readers (JSON, polkit JavaScript) keep at most this much; text beyond is "not read fully". */
export const MAX_TEXT = 1024 * 1024;
/** Files up to this size are read in one call (the per-request path over ssh stays as it was). */
const SMALL = 1024 * 1024;

/** What a location's files are and how large they normally get (the padding threshold). */
export interface ReadSpec {
  /** in the field's words: "crontab", "authorized_keys file", "shell startup file" */
  kind: string;
  /** bytes above which such a file is far larger than such files are */
  normal: number;
  /** bytes judged (default BUDGET) */
  budget?: number;
}

/** Normal sizes, per kind of location: well above real files (a 400-key authorized_keys is ~250 KiB). */
export const NORMAL = {
  crontab: 64 * 1024,
  script: 256 * 1024,
  keys: 256 * 1024,
  unit: 64 * 1024,
  config: 256 * 1024,
  accounts: 4 * 1024 * 1024,
  list: 16 * 1024,
} as const;

export const bytesText = (n: number): string =>
  n >= 1024 * 1024 * 1024 ? `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB` : n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;

/**
 * The one function that reads file content for the scan: `limit` bytes at most, as chunks. A small file
 * is one `readFile` (what every read did before); a larger one is streamed (`openRead`, a final symlink
 * resolved inside the target first, as `stat` did). A batched remote reader replaces this function.
 */
export async function readContent(t: Target, path: string, stat: FileStat, limit: number, start = 0): Promise<Iterable<Buffer> | AsyncIterable<Buffer>> {
  if (stat.size <= SMALL) {
    const buf = await t.readFile(path, { maxBytes: Math.min(start + limit, SMALL + 1) });
    // it grew past SMALL between stat and read: stream it instead
    if (buf.length <= SMALL || start + limit <= SMALL + 1) return [buf.subarray(start, start + limit)];
  }
  let real = path;
  for (let i = 0; i < 40; i++) {
    const st = await t.lstat(real);
    if (st?.type !== 'symlink') break;
    const to = await t.readlink(real);
    real = to.startsWith('/') ? posix.normalize(to) : posix.resolve(posix.dirname(real), to);
  }
  return (await t.openRead(real, { start, end: start + limit - 1 })) as AsyncIterable<Buffer>;
}

/** What a streamed read saw. */
export interface StreamedFile {
  stat: FileStat;
  /** bytes read (and judged) */
  bytes: number;
  /** physical lines */
  lines: number;
  /** contentHash of the content read (the same value contentHash(text) gives for valid UTF-8) */
  hash: string;
  /** md5 of the content read (dpkg's conffile sums) */
  md5: string;
  /** false when the file is larger than the budget and only its first `bytes` were judged */
  complete: boolean;
  /** lines longer than MAX_LINE: the rules saw their first and last MAX_LINE/2 characters */
  longLines: { line: number; length: number }[];
  binary: boolean;
}

export type LineSink = (text: string, line: number) => void | Promise<void>;

/**
 * Splits chunks into lines without holding more than one line (capped: a longer one is handed on as
 * its head and tail joined by " … "), hashing everything on the way.
 */
export async function splitLines(chunks: Iterable<Buffer> | AsyncIterable<Buffer>, onLine: LineSink, maxLine = MAX_LINE): Promise<Omit<StreamedFile, 'stat' | 'complete'>> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const decoder = new StringDecoder('utf8');
  const half = Math.floor(maxLine / 2);
  let bytes = 0;
  let line = 0;
  let cur = '';
  let tail = '';
  let length = 0; // characters of the current line when it is over the cap
  let binary = false;
  const longLines: { line: number; length: number }[] = [];
  const emit = (): void | Promise<void> => {
    line++;
    let r: void | Promise<void>;
    if (length > 0) {
      longLines.push({ line, length: length + cur.length + tail.length });
      r = onLine(`${cur} … ${tail}`, line);
    } else r = onLine(cur, line);
    cur = '';
    tail = '';
    length = 0;
    return r;
  };
  const append = (piece: string) => {
    if (length === 0) {
      cur += piece;
      if (cur.length <= maxLine) return;
      length = cur.length - half;
      tail = cur.slice(-half);
      cur = cur.slice(0, half);
      length -= tail.length;
      return;
    }
    tail += piece;
    if (tail.length > half) {
      length += tail.length - half;
      tail = tail.slice(-half);
    }
  };
  for await (const chunk of chunks) {
    if (bytes < 8192 && chunk.subarray(0, 8192 - bytes).includes(0)) binary = true;
    bytes += chunk.length;
    sha.update(chunk);
    md5.update(chunk);
    const text = decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      append(text.slice(start, nl));
      const r = emit();
      if (r) await r;
      start = nl + 1;
    }
    if (start < text.length) append(text.slice(start));
  }
  append(decoder.end());
  if (cur !== '' || length > 0) await emit();
  sha.update('\0');
  return { bytes, lines: line, hash: sha.digest('hex').slice(0, 16), md5: md5.digest('hex'), longLines, binary };
}

/** stat for a detector: null when missing or a directory; an unreadable path is an error, a FIFO or device a warning. */
async function statForRead(t: Target, c: Collector, path: string): Promise<FileStat | null> {
  let stat: FileStat | null;
  try {
    stat = await t.stat(path);
  } catch (err) {
    if (isMissing(err)) return null;
    c.error(err instanceof Error ? err.message : String(err), path);
    return null;
  }
  if (!stat) return null;
  if (stat.type !== 'file') {
    if (stat.type !== 'dir') {
      c.warn(`not a regular file (${stat.type}), not read`, path);
      c.unread(path, `not a regular file (${stat.type})`);
    }
    return null;
  }
  return stat;
}

/** A read that failed after stat: missing (it went away) is nothing, anything else an error. */
function readFailed(c: Collector, path: string, err: unknown): null {
  if (!(err instanceof TargetError && (err.code === 'ENOENT' || err.code === 'ENOTDIR'))) c.error(err instanceof Error ? err.message : String(err), path);
  return null;
}

/** Size findings: far above the location's normal size is padding (medium), beyond the budget too large to judge (high). */
function sizeFindings(c: Collector, path: string, spec: ReadSpec, f: { stat: FileStat; hash: string }, budget: number): void {
  const size = f.stat.size;
  if (size <= spec.normal) return;
  const tooLarge = size > budget;
  const severity: Severity = tooLarge ? 'high' : 'medium';
  c.add({
    rule: `${c.detector}.${tooLarge ? 'too-large' : 'padded'}`,
    key: instanceKey(c.detector, path, 'size'),
    contentHash: f.hash,
    severity,
    title: tooLarge ? `${spec.kind[0]!.toUpperCase()}${spec.kind.slice(1)} too large to judge: ${path} (${bytesText(size)})` : `Padded ${spec.kind}: far larger than such files are (${bytesText(size)})`,
    path,
    evidence: `${path} ${size} bytes; such files stay under ${bytesText(spec.normal)}`,
    attack: 'T1027.001',
    reason: tooLarge
      ? `only its first ${bytesText(budget)} were judged: padding pushes what matters past what a scanner reads`
      : `padding (comments, blank lines) hides a line among megabytes; the whole file was judged, but look at its end and at what was added last`,
    remediation: `Preserve ${path} (ir collect), then read it with grep -v '^#' ${path} | grep -v '^$' | tail and remove the padding and whatever it hides.`,
    mtime: isoFromEpochSeconds(f.stat.mtime),
    details: { size, normal: spec.normal, budget },
  });
}

/** One finding per file with lines over the cap: such lines are themselves suspicious (a payload after a megabyte of spaces). */
function longLineFinding(c: Collector, path: string, spec: ReadSpec, f: StreamedFile): void {
  if (f.longLines.length === 0) return;
  const first = f.longLines[0]!;
  c.add({
    rule: `${c.detector}.long-line`,
    key: instanceKey(c.detector, path, 'long-line'),
    contentHash: f.hash,
    severity: 'medium',
    title: `Line ${first.line} of a ${spec.kind} is ${bytesText(first.length)} long${f.longLines.length > 1 ? ` (and ${f.longLines.length - 1} more such lines)` : ''}`,
    path,
    line: first.line,
    evidence: `${path} line ${first.line}: ${first.length} characters`,
    attack: 'T1027.001',
    reason: `no ${spec.kind} needs a line over ${bytesText(MAX_LINE)}; its first and last ${bytesText(MAX_LINE / 2)} were judged`,
    remediation: `Preserve ${path} (ir collect) and read line ${first.line} whole (sed -n ${first.line}p ${path} | fold | less).`,
    mtime: isoFromEpochSeconds(f.stat.mtime),
    details: { longLines: f.longLines.slice(0, 20) },
  });
}

/**
 * Streams a whole text file to `onLine`, line by line, in bounded memory: null when missing. Unreadable
 * input is an error (the scan is incomplete), a FIFO or device a warning; with a spec, a padded file, one
 * too large to judge and a line over the cap are findings, and everything not read fully is counted.
 */
export async function readLines(t: Target, c: Collector, path: string, spec: ReadSpec, onLine: LineSink): Promise<StreamedFile | null> {
  const stat = await statForRead(t, c, path);
  if (!stat) return null;
  const budget = spec.budget ?? BUDGET;
  let f: StreamedFile;
  try {
    const seen = await splitLines(await readContent(t, path, stat, budget), onLine);
    f = { ...seen, stat, complete: stat.size <= budget };
  } catch (err) {
    return readFailed(c, path, err);
  }
  if (f.binary) c.warn('binary content where text was expected', path);
  if (!f.complete) {
    c.warn(`larger than the ${bytesText(budget)} budget (${bytesText(stat.size)}): only the first ${bytesText(f.bytes)} were judged`, path);
    c.unread(path, `too large: the first ${bytesText(f.bytes)} of ${bytesText(stat.size)} judged`);
  }
  if (f.longLines.length) c.unread(path, `${f.longLines.length} line${f.longLines.length > 1 ? 's' : ''} over ${bytesText(MAX_LINE)}: only their first and last ${bytesText(MAX_LINE / 2)} judged`);
  sizeFindings(c, path, spec, f, budget);
  longLineFinding(c, path, spec, f);
  return f;
}

/**
 * Reads a text file whole for a detector whose format is not line by line (JSON, polkit JavaScript): at
 * most `max` bytes. null when missing; unreadable is an error, a bigger file is "not read fully" (and,
 * with a spec, padded or too large to judge). Symlinks are followed only inside the target.
 */
export async function readBounded(t: Target, c: Collector, path: string, max = MAX_TEXT, spec?: ReadSpec): Promise<{ text: string; stat: FileStat; truncated: boolean; hash: string; md5: string } | null> {
  const stat = await statForRead(t, c, path);
  if (!stat) return null;
  const chunks: Buffer[] = [];
  let total = 0;
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  try {
    for await (const chunk of await readContent(t, path, stat, max + 1)) {
      chunks.push(chunk);
      total += chunk.length;
    }
  } catch (err) {
    return readFailed(c, path, err);
  }
  let buf = Buffer.concat(chunks, total);
  const truncated = buf.length > max;
  if (truncated) {
    c.warn(`larger than ${max} bytes: only the first ${max} bytes were read`, path);
    c.unread(path, `too large: the first ${bytesText(max)} of ${bytesText(stat.size)} read`);
    buf = buf.subarray(0, max);
  }
  if (buf.subarray(0, 8192).includes(0)) c.warn('binary content where text was expected', path);
  sha.update(buf).update('\0');
  md5.update(buf);
  const hash = sha.digest('hex').slice(0, 16);
  if (spec) sizeFindings(c, path, spec, { stat, hash }, max);
  return { text: buf.toString('utf8'), stat, truncated, hash, md5: md5.digest('hex') };
}

/** A raw line for evidence: trimmed and bounded. */
export const evidenceLine = (raw: string, max = 500): string => clip(raw.trim(), max);

/** Streams a file's lines without a collector (shared facts): null when missing, read errors thrown. */
export async function streamFile(t: Target, path: string, onLine: LineSink, budget = BUDGET): Promise<StreamedFile | null> {
  const stat = await t.stat(path);
  if (!stat || stat.type !== 'file') return null;
  try {
    return { ...(await splitLines(await readContent(t, path, stat, budget), onLine)), stat, complete: stat.size <= budget };
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** Findings added while a file streams have no mtime yet: filled in once the read is done. */
export function stampMtime(c: Collector, path: string, mtime: number): void {
  const iso = isoFromEpochSeconds(mtime);
  for (const f of c.findings) if (f.path === path && !f.mtime) f.mtime = iso;
}

/**
 * A collector for a second pass over files another detector already reports on (ld-preload and
 * anti-forensics read the shell startup files too): what it records about the file itself is dropped.
 */
export function quiet(c: Collector): Collector {
  return new Collector(c.detector, 'quiet', 'quiet');
}
