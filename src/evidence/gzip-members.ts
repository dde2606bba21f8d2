import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';

const gzip = promisify(gzipCb);

/** Uncompressed bytes per gzip member: large enough that the ratio stays within 1 % of one stream. */
export const MEMBER_SIZE = 1 << 20;
/** Members compressing at once on libuv's thread pool; bounds memory to a few MiB. */
const IN_FLIGHT = 6;

/**
 * Gzip members carry an extra field (RFC 1952 FEXTRA) with subfield `IR`: the member's compressed
 * length and its uncompressed length, as BGZF does. Any gzip reader ignores it; `ir evidence verify`
 * uses it to walk the members one by one, so a flipped byte costs one member, not the rest of the
 * archive, and the entries in that member can be named.
 */
export const EXTRA_SI1 = 0x49; // 'I'
export const EXTRA_SI2 = 0x52; // 'R'
export const MEMBER_HEADER_LEN = 10 + 2 + 4 + 8;

export function memberHeader(compressedTotal: number, uncompressed: number): Buffer {
  const h = Buffer.alloc(MEMBER_HEADER_LEN);
  h[0] = 0x1f;
  h[1] = 0x8b;
  h[2] = 8; // deflate
  h[3] = 4; // FEXTRA
  h[9] = 3; // OS: Unix
  h.writeUInt16LE(12, 10); // XLEN
  h[12] = EXTRA_SI1;
  h[13] = EXTRA_SI2;
  h.writeUInt16LE(8, 14);
  h.writeUInt32LE(compressedTotal, 16);
  h.writeUInt32LE(uncompressed, 20);
  return h;
}

/** Parses our member header; null when the bytes are not one (plain gzip, or damaged). */
export function parseMemberHeader(b: Buffer): { compressed: number; uncompressed: number } | null {
  if (b.length < MEMBER_HEADER_LEN) return null;
  if (b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8 || b[3] !== 4) return null;
  if (b.readUInt16LE(10) !== 12 || b[12] !== EXTRA_SI1 || b[13] !== EXTRA_SI2 || b.readUInt16LE(14) !== 8) return null;
  const compressed = b.readUInt32LE(16);
  const uncompressed = b.readUInt32LE(20);
  if (compressed < MEMBER_HEADER_LEN + 8 || uncompressed > 64 * MEMBER_SIZE) return null;
  return { compressed, uncompressed };
}

/**
 * Cuts a byte stream into MEMBER_SIZE pieces, compresses them as independent gzip members in
 * parallel on the thread pool, and writes them in order to a file while hashing what it writes.
 * Concatenated members are a valid .tar.gz (RFC 1952 §2.2) for tar, gzip -t and zlib.
 */
export class MemberGzipSink {
  private buf = Buffer.allocUnsafe(MEMBER_SIZE);
  private len = 0;
  private queue: Promise<void>[] = [];
  private chain: Promise<void> = Promise.resolve();
  private failed: Error | undefined;
  private readonly hash: Hash = createHash('sha256');
  /** compressed bytes written so far */
  written = 0;
  /** uncompressed bytes accepted so far */
  accepted = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly level = 6,
  ) {}

  /** Copies `data` in; resolves once the in-flight window has room again (backpressure). */
  async write(data: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    let off = 0;
    while (off < data.length) {
      const n = Math.min(MEMBER_SIZE - this.len, data.length - off);
      data.copy(this.buf, this.len, off, off + n);
      this.len += n;
      off += n;
      if (this.len === MEMBER_SIZE) await this.cut();
    }
    this.accepted += data.length;
  }

  /** Ends the current member early (so the next bytes start a member of their own). */
  async flush(): Promise<void> {
    if (this.len > 0) await this.cut();
  }

  private async cut(): Promise<void> {
    const piece = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafe(MEMBER_SIZE);
    this.len = 0;
    const compressed = gzip(piece, { level: this.level });
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        const gz = await compressed;
        // zlib's own 10-byte header (no flags) is replaced by ours with the extra field
        const body = gz.subarray(10);
        const head = memberHeader(MEMBER_HEADER_LEN + body.length, piece.length);
        this.hash.update(head).update(body);
        const { bytesWritten } = await this.fh.writev([head, body]);
        // a short write on a regular file means the disk is full
        if (bytesWritten !== head.length + body.length) throw Object.assign(new Error('short write (no space left on device?)'), { code: 'ENOSPC' });
        this.written += head.length + body.length;
      } catch (err) {
        this.failed ??= err as Error;
      }
    });
    this.queue.push(this.chain);
    if (this.queue.length >= IN_FLIGHT) await this.queue.shift();
    if (this.failed) throw this.failed;
  }

  /** Flushes the last member, waits for every write; returns the SHA-256 of the compressed file. */
  async end(): Promise<string> {
    await this.flush();
    await this.chain;
    this.queue = [];
    if (this.failed) throw this.failed;
    return this.hash.digest('hex');
  }

  get failure(): Error | undefined {
    return this.failed;
  }

  /** Waits for the writes in flight and drops the rest (used before removing the file). */
  async discard(): Promise<void> {
    this.failed ??= new Error('discarded');
    await this.chain.catch(() => {});
  }
}
