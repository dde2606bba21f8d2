/**
 * POSIX (pax) tar headers, written by hand so that the writer controls every byte it emits and its
 * backpressure: one 512-byte ustar header, preceded by a pax `x` header when a field does not fit
 * (long or non-ASCII path or link target, size ≥ 8 GiB, large ids). GNU tar, bsdtar, busybox tar and
 * tar-stream all read this.
 */

export const BLOCK = 512;

export type TarType = 'file' | 'symlink' | 'dir';

export interface TarHeader {
  path: string;
  type: TarType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** epoch seconds */
  mtime: number;
  linkTarget?: string;
  uname?: string;
  gname?: string;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', symlink: '2', dir: '5' };
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(Math.max(0, Math.floor(value)).toString(8).padStart(len - 1, '0') + '\0', off, len, 'ascii');
}

function fitsAscii(s: string, max: number): boolean {
  return Buffer.byteLength(s, 'utf8') <= max && /^[\x20-\x7e]*$/.test(s);
}

/** One pax record: "LEN key=value\n", where LEN counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body, 'utf8');
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length !== String(len - bodyLen).length) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

function ustar(h: TarHeader, name: string, typeflag: string, size: number, linkname: string): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, Math.min(h.uid, MAX_OCTAL_7));
  octal(b, 116, 8, Math.min(h.gid, MAX_OCTAL_7));
  octal(b, 124, 12, Math.min(size, MAX_OCTAL_11));
  octal(b, 136, 12, Math.min(h.mtime, MAX_OCTAL_11));
  b.write('        ', 148, 8, 'ascii');
  b.write(typeflag, 156, 1, 'ascii');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  b.write((h.uname ?? '').slice(0, 31), 265, 32, 'utf8');
  b.write((h.gname ?? '').slice(0, 31), 297, 32, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

/** Header block(s) for one entry: pax extension when needed, then the ustar header. */
export function encodeHeader(h: TarHeader): Buffer {
  const records: string[] = [];
  const linkTarget = h.linkTarget ?? '';
  if (!fitsAscii(h.path, 100)) records.push(paxRecord('path', h.path));
  if (!fitsAscii(linkTarget, 100)) records.push(paxRecord('linkpath', linkTarget));
  if (h.size > MAX_OCTAL_11) records.push(paxRecord('size', String(h.size)));
  if (h.uid > MAX_OCTAL_7) records.push(paxRecord('uid', String(h.uid)));
  if (h.gid > MAX_OCTAL_7) records.push(paxRecord('gid', String(h.gid)));
  const shortName = asciiPrefix(h.path, 100);
  const main = ustar(h, shortName, TYPEFLAG[h.type], h.type === 'file' ? h.size : 0, asciiPrefix(linkTarget, 100));
  if (records.length === 0) return main;
  const body = Buffer.from(records.join(''), 'utf8');
  const paxName = asciiPrefix(`PaxHeader/${h.path.split('/').pop() ?? 'entry'}`, 100);
  const pax = ustar({ ...h, uname: '', gname: '' }, paxName, 'x', body.length, '');
  return Buffer.concat([pax, body, Buffer.alloc(padding(body.length)), main]);
}

/** The ustar field gets a printable prefix; the pax record carries the real value. */
function asciiPrefix(s: string, max: number): string {
  let out = s.replace(/[^\x20-\x7e]/g, '_');
  while (Buffer.byteLength(out, 'utf8') > max) out = out.slice(0, -1);
  return out;
}

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
