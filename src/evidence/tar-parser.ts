import { BLOCK, padding } from './tar.js';

export interface TarEntry {
  path: string;
  type: 'file' | 'symlink' | 'dir' | 'other';
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** epoch seconds */
  mtime: number;
  linkTarget?: string;
  /** offset of the header in the uncompressed tar stream */
  offset: number;
}

export interface TarHandlers {
  entry(e: TarEntry): void;
  data(chunk: Buffer): void;
  /** `damaged`: part of the entry came from an unreadable gzip member or was lost to a resync */
  end(e: TarEntry, damaged: boolean): void;
  problem(message: string, offset: number): void;
}

function field(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function num(b: Buffer, off: number, len: number): number {
  // GNU base-256 for values that do not fit in octal
  if ((b[off] ?? 0) & 0x80) {
    let v = (b[off] ?? 0) & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (b[off + i] ?? 0);
    return v;
  }
  const s = field(b, off, len).trim();
  return s ? parseInt(s, 8) : 0;
}

/** A header block whose checksum holds (either the signed or the unsigned sum, as tar accepts). */
export function validHeader(b: Buffer): boolean {
  const stored = num(b, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 32 : (b[i] ?? 0);
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < body.length) {
    const sp = body.indexOf(0x20, off);
    if (sp === -1) break;
    const len = parseInt(body.subarray(off, sp).toString('ascii'), 10);
    if (!(len > 0)) break;
    const rec = body.subarray(sp + 1, off + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    off += len;
  }
  return out;
}

const META_LIMIT = 1 << 20;

/**
 * A push parser for ustar/pax/GNU tar that survives damage: a bad header checksum starts a scan
 * for the next valid header instead of ending the archive, and bytes flagged as damaged (a gzip
 * member that would not decompress, replaced by zeros of its size) mark the entries they touch.
 */
export class TarParser {
  private offset = 0;
  private head = Buffer.alloc(BLOCK);
  private headLen = 0;
  private entry: TarEntry | undefined;
  private meta: { kind: 'x' | 'L' | 'K' | 'g'; chunks: Buffer[]; len: number } | undefined;
  private remaining = 0;
  private pad = 0;
  private damaged = false;
  private scanning = false;
  private pax: Record<string, string> = {};
  private longName: string | undefined;
  private longLink: string | undefined;

  constructor(private readonly h: TarHandlers) {}

  feed(buf: Buffer, damaged = false): void {
    let off = 0;
    if (damaged && this.entry) this.damaged = true;
    while (off < buf.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, buf.length - off);
        const part = buf.subarray(off, off + n);
        if (this.meta) {
          if (this.meta.len < META_LIMIT) this.meta.chunks.push(Buffer.from(part));
          this.meta.len += n;
        } else this.h.data(part);
        if (damaged) this.damaged = true;
        this.remaining -= n;
        off += n;
        this.offset += n;
        if (this.remaining === 0 && this.pad === 0) this.close();
        continue;
      }
      if (this.pad > 0) {
        const n = Math.min(this.pad, buf.length - off);
        this.pad -= n;
        off += n;
        this.offset += n;
        if (this.pad === 0) this.close();
        continue;
      }
      const n = Math.min(BLOCK - this.headLen, buf.length - off);
      buf.copy(this.head, this.headLen, off, off + n);
      this.headLen += n;
      off += n;
      this.offset += n;
      if (this.headLen === BLOCK) {
        this.headLen = 0;
        this.header(this.offset - BLOCK, damaged);
      }
    }
  }

  /** Bytes of unknown length were lost (a gzip member header is unreadable): drop state, rescan. */
  lost(): void {
    if (this.entry) this.h.end(this.entry, true);
    this.entry = undefined;
    this.meta = undefined;
    this.remaining = 0;
    this.pad = 0;
    this.headLen = 0;
    this.scanning = true;
  }

  /** Call at the end of input: an entry cut short is reported damaged. */
  finish(): void {
    if (this.entry) {
      this.h.problem(`${this.entry.path}: archive ends inside this entry`, this.offset);
      this.h.end(this.entry, true);
      this.entry = undefined;
    }
  }

  private close(): void {
    if (this.meta) {
      const body = Buffer.concat(this.meta.chunks);
      if (this.meta.kind === 'x') this.pax = parsePax(body);
      else if (this.meta.kind === 'L') this.longName = field(body, 0, body.length);
      else if (this.meta.kind === 'K') this.longLink = field(body, 0, body.length);
      this.meta = undefined;
      return;
    }
    if (this.entry) this.h.end(this.entry, this.damaged);
    this.entry = undefined;
    this.damaged = false;
  }

  private header(at: number, damaged: boolean): void {
    const b = this.head;
    if (b.every((c) => c === 0)) return; // end-of-archive blocks, or a zero-filled damaged member
    if (!validHeader(b)) {
      if (!this.scanning && !damaged) this.h.problem(`damaged tar header at byte ${at} of the tar stream; scanning for the next entry`, at);
      this.scanning = true;
      return;
    }
    this.scanning = false;
    const type = String.fromCharCode(b[156] ?? 0);
    const size = this.pax.size !== undefined ? Number(this.pax.size) : num(b, 124, 12);
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      this.meta = { kind: type as 'x' | 'g' | 'L' | 'K', chunks: [], len: 0 };
      this.remaining = size;
      this.pad = padding(size);
      if (size === 0) this.close();
      return;
    }
    const prefix = b.subarray(257, 262).toString('ascii') === 'ustar' ? field(b, 345, 155) : '';
    const name = field(b, 0, 100);
    const path = this.pax.path ?? this.longName ?? (prefix ? `${prefix}/${name}` : name);
    const kind: TarEntry['type'] = type === '0' || type === '\0' || type === '7' ? 'file' : type === '2' ? 'symlink' : type === '5' ? 'dir' : 'other';
    this.entry = {
      path,
      type: kind,
      size: kind === 'file' ? size : 0,
      mode: num(b, 100, 8),
      uid: this.pax.uid !== undefined ? Number(this.pax.uid) : num(b, 108, 8),
      gid: this.pax.gid !== undefined ? Number(this.pax.gid) : num(b, 116, 8),
      mtime: this.pax.mtime !== undefined ? Number(this.pax.mtime) : num(b, 136, 12),
      ...(kind === 'symlink' ? { linkTarget: this.pax.linkpath ?? this.longLink ?? field(b, 157, 100) } : {}),
      offset: at,
    };
    this.pax = {};
    this.longName = undefined;
    this.longLink = undefined;
    this.damaged = damaged;
    this.h.entry(this.entry);
    const dataLen = kind === 'file' || kind === 'other' ? size : 0;
    this.remaining = dataLen;
    this.pad = padding(dataLen);
    if (dataLen === 0) this.close();
  }
}
