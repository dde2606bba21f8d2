import { isAscii } from 'node:buffer';

/**
 * Cuts a byte stream into lines. A run of whole lines that is ASCII without \t \v \f \r goes to the
 * fast path (`onBytes`, auth-fast.ts) undecoded; otherwise it is decoded to strings of whole lines,
 * 64 KiB at most (decoding line by line is about 1.3× slower), as Latin-1 when it is ASCII (the same
 * characters; simdutf checks it at 20 GB/s and the one-byte decoder is 30× faster than the UTF-8
 * one), else as UTF-8 with invalid sequences as U+FFFD. A line longer than MAX_CARRY is emitted cut
 * and the rest skipped up to the next newline, so a hostile 1 GB line costs neither memory nor time.
 */
export const MAX_CARRY = 1 << 20;
const CUT = 8192;
const PIECE = 1 << 16;

export class LineSplitter {
  private carry: Buffer | null = null;
  private skipping = false;
  bytes = 0;

  /**
   * @param onBytes optional fast path (auth-fast.ts): gets whole runs of lines undecoded (no
   *   trailing newline), but only ASCII ones without \t \v \f \r, where a byte is a character and
   *   ' ' the only whitespace inside a line. The bytes may be a reused buffer: valid during the call.
   */
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onBytes?: (bytes: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let start = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(10);
      if (nl < 0) return;
      this.skipping = false;
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last < start) {
      const rest = chunk.subarray(start);
      this.carry = this.carry ? Buffer.concat([this.carry, rest]) : rest;
      if (this.carry.length > MAX_CARRY) {
        this.onLine(this.carry.toString('utf8', 0, CUT));
        this.carry = null;
        this.skipping = true;
      }
      return;
    }
    if (this.carry) {
      // the line cut by the previous chunk: decoded on its own, so the chunk is never copied
      const nl = chunk.indexOf(10, start);
      this.text(Buffer.concat([this.carry, chunk.subarray(start, nl)]));
      this.carry = null;
      start = nl + 1;
    }
    if (last > start) this.text(chunk.subarray(start, last));
    if (last + 1 < chunk.length) this.carry = chunk.subarray(last + 1);
  }

  end(): void {
    if (this.carry && this.carry.length > 0) this.text(this.carry);
    this.carry = null;
  }

  /**
   * Decodes whole lines in pieces of at most PIECE bytes (cut at a newline): a string of a whole
   * 1 MiB chunk is an external string in freshly mapped memory, 2–3× slower to make than pieces
   * small enough for V8's young generation.
   */
  private text(b: Buffer): void {
    // one check over the whole run: plain ASCII without \t \v \f \r goes to the fast path as it is
    if (this.onBytes !== undefined && isAscii(b) && !hasCtl(b)) {
      this.onBytes(b);
      return;
    }
    let o = 0;
    while (b.length - o > PIECE) {
      let cut = b.lastIndexOf(10, o + PIECE - 1);
      if (cut < o) {
        cut = b.indexOf(10, o + PIECE);
        if (cut < 0) break;
      }
      this.piece(b.subarray(o, cut));
      o = cut + 1;
    }
    this.piece(o === 0 ? b : b.subarray(o));
  }

  private piece(b: Buffer): void {
    if (!isAscii(b)) this.emit(b.toString('utf8'));
    else if (this.onBytes && !hasCtl(b)) this.onBytes(b);
    else this.emit(b.toString('latin1'));
  }

  private emit(text: string): void {
    const onLine = this.onLine;
    let p = 0;
    const n = text.length;
    while (p <= n) {
      let nl = text.indexOf('\n', p);
      if (nl < 0) nl = n;
      let e = nl;
      if (e > p && text.charCodeAt(e - 1) === 13) e--;
      if (e > p) onLine(text.slice(p, e));
      p = nl + 1;
    }
  }
}

/** \t \v \f or \r: whitespace other than ' ' inside a line (the fast path assumes there is none). */
function hasCtl(b: Buffer): boolean {
  return b.indexOf(13) >= 0 || b.indexOf(9) >= 0 || b.indexOf(11) >= 0 || b.indexOf(12) >= 0;
}
