import { read, readSync, type promises as fsp } from 'node:fs';

/**
 * A regular file of this machine opened for positioned reads (`pread`): the capability
 * `Target.openPositioned` of the local host and of an offline image. The descriptor is a number of
 * this process, so worker threads can read their own byte ranges of it (`forEachChunkSync`) while the
 * main thread keeps the file open. Reads go into caller-owned buffers: a big log is read through two
 * reused 1 MiB buffers instead of a stream's fresh chunks (page faults, garbage collection).
 */
export class PositionedFile {
  /** the descriptor, valid until close() */
  readonly fd: number;

  constructor(
    private readonly fh: fsp.FileHandle,
    /** bytes at open (a log still written to may grow: reads stop at EOF or at the end asked for) */
    readonly size: number,
  ) {
    this.fd = fh.fd;
  }

  /** Reads into `buf` from `pos`; the bytes read (0 at EOF). */
  read(buf: Buffer, pos: number, length = buf.length): Promise<number> {
    return new Promise((resolve, reject) => read(this.fd, buf, 0, length, pos, (err, n) => (err ? reject(err) : resolve(n))));
  }

  /**
   * Reads [start, end) in chunks of at most `chunkSize` bytes through two buffers used in turn: `fn`
   * gets each chunk and may keep a view of it until the next call returns (the chunk before the
   * current one is still intact: a line splitter's carried tail). Stops early at EOF.
   */
  async forEachChunk(start: number, end: number, fn: (chunk: Buffer) => void, chunkSize = CHUNK): Promise<number> {
    const bufs = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
    let pos = start;
    for (let i = 0; pos < end; i ^= 1) {
      const n = await this.read(bufs[i]!, pos, Math.min(chunkSize, end - pos));
      if (n === 0) break;
      fn(bufs[i]!.subarray(0, n));
      pos += n;
    }
    return pos - start;
  }

  /** Offset of the first `byte` at or after `from`, -1 when there is none before the end. */
  async indexOf(byte: number, from: number, end = this.size): Promise<number> {
    const buf = Buffer.allocUnsafe(FIND);
    for (let p = from; p < end; ) {
      const n = await this.read(buf, p, Math.min(FIND, end - p));
      if (n === 0) return -1;
      const i = buf.subarray(0, n).indexOf(byte);
      if (i >= 0) return p + i;
      p += n;
    }
    return -1;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

const CHUNK = 1 << 20;
const FIND = 64 << 10;

/**
 * `forEachChunk` with synchronous reads of a descriptor opened by another thread (a worker reading
 * its byte range of a PositionedFile). Returns the bytes read.
 */
export function forEachChunkSync(fd: number, start: number, end: number, fn: (chunk: Buffer) => void, chunkSize = CHUNK): number {
  const bufs = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  let pos = start;
  for (let i = 0; pos < end; i ^= 1) {
    const n = readSync(fd, bufs[i]!, 0, Math.min(chunkSize, end - pos), pos);
    if (n === 0) break;
    fn(bufs[i]!.subarray(0, n));
    pos += n;
  }
  return pos - start;
}

/** The bytes [start, end) of a descriptor, read synchronously into one buffer (short at EOF). */
export function readRangeSync(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, end - start));
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}
