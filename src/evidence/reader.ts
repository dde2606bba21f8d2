import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { promisify } from 'node:util';
import { createGunzip, gunzip as gunzipCb } from 'node:zlib';
import { MEMBER_HEADER_LEN, parseMemberHeader } from './gzip-members.js';
import { TarParser, type TarHandlers } from './tar-parser.js';

const gunzip = promisify(gunzipCb);
const WINDOW = 4;

export interface ReadSummary {
  /** SHA-256 of the compressed file as it is on disk */
  sha256: string;
  bytes: number;
  /** gzip members (ir's member format) walked; 0 for a plain gzip stream */
  members: number;
  /** true when the file is in ir's member format (each member carries its length) */
  irMembers: boolean;
}

export class NotGzip extends Error {}

async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Finds the next ir member header at or after `from`, or -1. */
async function resync(fh: fsp.FileHandle, from: number, size: number): Promise<number> {
  const win = Buffer.alloc((1 << 20) + MEMBER_HEADER_LEN);
  for (let pos = from; pos < size; pos += 1 << 20) {
    const { bytesRead } = await fh.read(win, 0, win.length, pos);
    for (let i = 0; i + MEMBER_HEADER_LEN <= bytesRead; i++) {
      if (win[i] === 0x1f && win[i + 1] === 0x8b && parseMemberHeader(win.subarray(i, i + MEMBER_HEADER_LEN))) return pos + i;
    }
  }
  return -1;
}

/**
 * Reads a .tar.gz and drives a TarParser. In ir's member format the members are walked one by one
 * (a few decompressing in parallel): a member that does not decompress is reported and replaced by
 * zeros of its length, so the parser marks exactly the entries it held and goes on. A plain gzip
 * stream (e.g. recompressed by hand) is read as one stream; an error there ends the read.
 */
export async function readArchive(path: string, handlers: TarHandlers & { gzipProblem(message: string): void }): Promise<ReadSummary> {
  const fh = await fsp.open(path, 'r');
  const hashing = hashFile(path);
  const parser = new TarParser(handlers);
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(MEMBER_HEADER_LEN);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 2 || head[0] !== 0x1f || head[1] !== 0x8b) throw new NotGzip(`${path}: not a gzip file`);
    if (!parseMemberHeader(head)) {
      await readPlain(path, parser, handlers);
      parser.finish();
      return { ...(await hashing), members: 0, irMembers: false };
    }
    let members = 0;
    let pos = 0;
    type Job = { index: number; at: number; len: number; usize: number; out: Promise<Buffer | Error> };
    const jobs: Job[] = [];
    const drain = async (job: Job) => {
      const out = await job.out;
      if (out instanceof Error) {
        handlers.gzipProblem(`gzip member ${job.index} (bytes ${job.at}-${job.at + job.len - 1}) does not decompress: ${out.message}`);
        parser.feed(Buffer.alloc(job.usize), true);
      } else if (out.length !== job.usize) {
        handlers.gzipProblem(`gzip member ${job.index} (bytes ${job.at}-${job.at + job.len - 1}) holds ${out.length} bytes, its header says ${job.usize}`);
        parser.feed(Buffer.alloc(job.usize), true);
      } else parser.feed(out);
    };
    while (pos < size) {
      const { bytesRead: n } = await fh.read(head, 0, MEMBER_HEADER_LEN, pos);
      const mh = n === MEMBER_HEADER_LEN ? parseMemberHeader(head) : null;
      if (!mh || pos + mh.compressed > size) {
        while (jobs.length) await drain(jobs.shift() as Job);
        const next = await resync(fh, pos + 1, size);
        handlers.gzipProblem(`damaged gzip member header at byte ${pos}; ${next === -1 ? 'nothing readable after it' : `resuming at byte ${next}`}`);
        parser.lost();
        if (next === -1) break;
        pos = next;
        continue;
      }
      const body = Buffer.allocUnsafe(mh.compressed);
      await fh.read(body, 0, mh.compressed, pos);
      jobs.push({ index: members, at: pos, len: mh.compressed, usize: mh.uncompressed, out: gunzip(body).catch((e: Error) => e) });
      members++;
      pos += mh.compressed;
      if (jobs.length >= WINDOW) await drain(jobs.shift() as Job);
    }
    while (jobs.length) await drain(jobs.shift() as Job);
    parser.finish();
    return { ...(await hashing), members, irMembers: true };
  } finally {
    await fh.close();
    await hashing.catch(() => undefined);
  }
}

async function readPlain(path: string, parser: TarParser, handlers: { gzipProblem(message: string): void }): Promise<void> {
  try {
    for await (const c of createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip())) parser.feed(c as Buffer);
  } catch (err) {
    handlers.gzipProblem(`gzip stream does not decompress: ${(err as Error).message}`);
    parser.lost();
  }
}
