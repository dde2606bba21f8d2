import { Readable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

/**
 * A file read over sftp with many requests in flight. ssh2's own read stream waits for each 32 KiB
 * answer before asking for the next: at 50 ms of round trip that is about 0.6 MB/s (the issue
 * measured ~5 MB/s with its 256 KiB buffer); with 64 requests in flight the link is the limit.
 * Answers are pushed in file order. A short answer that is not the end of the file (sftp-server may
 * return less than asked) restarts the pipeline where it stopped: later answers are dropped.
 */
export class PipelinedRead extends Readable {
  private next: number;
  private readonly pending = new Map<number, { bytes: number; buf: Buffer; done: boolean; eof: boolean; error?: Error; generation: number }>();
  private generation = 0;
  private inFlight = 0;
  private eofAt = Number.POSITIVE_INFINITY;
  private over = false;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    start: number,
    /** inclusive, as fs.createReadStream's */
    private readonly end: number,
    private readonly onRequest: () => void,
    private readonly onClose: () => void,
    private readonly depth = 64,
    private readonly chunk = 32 * 1024,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.next = start;
    this.requested = start;
  }

  /** the next offset to request */
  private requested: number;

  override _read(): void {
    this.fill();
  }

  private fill(): void {
    const limit = Math.min(this.end + 1, this.eofAt);
    while (!this.over && this.inFlight < this.depth && this.requested < limit && this.readableLength < this.readableHighWaterMark) {
      const pos = this.requested;
      const len = Math.min(this.chunk, limit - pos);
      this.requested += len;
      this.inFlight++;
      this.onRequest();
      const gen = this.generation;
      const slot: { bytes: number; buf: Buffer; done: boolean; eof: boolean; error?: Error; generation: number } = { bytes: 0, buf: Buffer.allocUnsafe(len), done: false, eof: false, generation: gen };
      this.pending.set(pos, slot);
      this.sftp.read(this.handle, slot.buf, 0, len, pos, (err, bytes) => {
        this.inFlight--;
        if (gen !== this.generation) return this.fill();
        slot.done = true;
        if (err && (err as { code?: number }).code === 1) slot.eof = true;
        else if (err) slot.error = err;
        else slot.bytes = bytes;
        this.drain();
      });
    }
    if (!this.over && this.inFlight === 0 && this.next >= limit) this.finish();
  }

  /** Pushes the answers that are next in file order. */
  private drain(): void {
    for (;;) {
      const slot = this.pending.get(this.next);
      if (!slot?.done) break;
      this.pending.delete(this.next);
      if (slot.error) {
        this.finish(slot.error);
        return;
      }
      if (slot.eof || slot.bytes === 0) {
        this.eofAt = this.next;
        break;
      }
      const asked = slot.buf.length;
      this.push(slot.buf.subarray(0, slot.bytes));
      this.next += slot.bytes;
      if (slot.bytes < asked) {
        // a short answer in the middle: ask again from here, forget what was asked after it
        this.generation++;
        this.pending.clear();
        this.requested = this.next;
        break;
      }
    }
    this.fill();
  }

  private finish(err?: Error): void {
    if (this.over) return;
    this.over = true;
    this.onClose();
    if (err) this.destroy(err);
    else this.push(null);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.over) {
      this.over = true;
      this.onClose();
    }
    cb(err);
  }
}
