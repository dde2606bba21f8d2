import { constants, promises as fsp, type Stats } from 'node:fs';
import { posix } from 'node:path';
import type { DirEntry, ExecOptions, ExecResult, FileStat, FileType, ReadOptions, Target, TargetKind } from './target.js';
import { TargetError, joinPath } from './target.js';
import { PositionedFile } from './positioned.js';

export const DEFAULT_MAX_READ = 16 * 1024 * 1024;

export function fileType(s: Stats): FileType {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  if (s.isCharacterDevice()) return 'char';
  if (s.isBlockDevice()) return 'block';
  return 'unknown';
}

export function toFileStat(s: Stats): FileStat {
  return {
    type: fileType(s),
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    mtime: s.mtimeMs / 1000,
    atime: s.atimeMs / 1000,
    ctime: s.ctimeMs / 1000,
    ino: s.ino,
    nlink: s.nlink,
  };
}

/** Maps a Node fs error to a TargetError that names the path as the target sees it. */
export function fsError(err: unknown, path: string): TargetError {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof TargetError) return err;
  switch (e.code) {
    case 'ENOENT':
      return new TargetError('ENOENT', `${path}: no such file or directory`, path);
    case 'EACCES':
    case 'EPERM':
      return new TargetError('EACCES', `${path}: permission denied`, path);
    case 'ENOTDIR':
      return new TargetError('ENOTDIR', `${path}: not a directory`, path);
    case 'EISDIR':
      return new TargetError('EISDIR', `${path}: is a directory`, path);
    case 'ELOOP':
      return new TargetError('ELOOP', `${path}: is a symbolic link (or a loop)`, path);
    default:
      return new TargetError('IO', `${path}: ${e.message ?? String(err)}`, path);
  }
}

/** Reads an open file until EOF or `max` bytes (never trusting st.size: /proc files report 0), then closes it. */
export async function readToEnd(fh: fsp.FileHandle, max: number, shown: string): Promise<Buffer> {
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < max) {
      const buf = Buffer.allocUnsafe(Math.min(65536, max - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    throw fsError(err, shown);
  } finally {
    await fh.close();
  }
}

/**
 * A target backed by a local file system: the live host ("/") or an offline image.
 * `realPath` maps a target path to a path on this machine; subclasses decide how symlinks resolve.
 */
export abstract class FsTarget implements Target {
  abstract readonly kind: TargetKind;
  abstract readonly name: string;
  abstract readonly live: boolean;

  /** Maps a target path to a local path; `followFinal` resolves a final symlink too. */
  protected abstract realPath(path: string, followFinal: boolean): Promise<string>;
  abstract exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;

  async lstat(path: string) {
    try {
      return toFileStat(await fsp.lstat(await this.realPath(path, false)));
    } catch (err) {
      const te = fsError(err, path);
      if (te.code === 'ENOENT' || te.code === 'ENOTDIR') return null;
      throw te;
    }
  }

  async stat(path: string) {
    try {
      return toFileStat(await fsp.stat(await this.realPath(path, true)));
    } catch (err) {
      const te = fsError(err, path);
      if (te.code === 'ENOENT' || te.code === 'ENOTDIR' || te.code === 'ELOOP') return null;
      throw te;
    }
  }

  async list(dir: string): Promise<DirEntry[]> {
    const real = await this.realPath(dir, true).catch((e) => {
      throw fsError(e, dir);
    });
    let names: string[];
    try {
      names = await fsp.readdir(real);
    } catch (err) {
      throw fsError(err, dir);
    }
    // lstat in parallel batches: a big directory (bodyfile walks, /proc) is dominated by these calls
    const out: DirEntry[] = [];
    names.sort();
    for (let i = 0; i < names.length; i += 64) {
      const batch = await Promise.all(
        names.slice(i, i + 64).map(async (name) => {
          try {
            return { name, path: joinPath(dir, name), stat: toFileStat(await fsp.lstat(posix.join(real, name))) };
          } catch {
            return null; // vanished between readdir and lstat (e.g. a /proc entry)
          }
        }),
      );
      for (const e of batch) if (e) out.push(e);
    }
    return out;
  }

  async readlink(path: string): Promise<string> {
    try {
      return await fsp.readlink(await this.realPath(path, false));
    } catch (err) {
      throw fsError(err, path);
    }
  }

  /** Opens without following a final link and without blocking on FIFOs; refuses non-regular files. */
  private async openRegular(path: string, follow: boolean) {
    const real = await this.realPath(path, follow).catch((e) => {
      throw fsError(e, path);
    });
    let fh: fsp.FileHandle;
    try {
      // O_NOFOLLOW only when the final link must not be followed: /proc/PID/exe and /proc/mounts are links
      fh = await fsp.open(real, constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW));
    } catch (err) {
      throw fsError(err, path);
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new TargetError(st.isDirectory() ? 'EISDIR' : 'NOT_REGULAR', `${path}: not a regular file (${fileType(st)})`, path);
    }
    return { fh, st };
  }

  async readFile(path: string, opts: ReadOptions & { follow?: boolean } = {}): Promise<Buffer> {
    const max = opts.maxBytes ?? DEFAULT_MAX_READ;
    const { fh } = await this.openRegular(path, opts.follow ?? true);
    return readToEnd(fh, max, path);
  }

  async openRead(path: string, opts: { start?: number; end?: number } = {}): Promise<NodeJS.ReadableStream> {
    const { fh } = await this.openRegular(path, false);
    return fh.createReadStream({ start: opts.start, end: opts.end, autoClose: true, highWaterMark: 1 << 20 });
  }

  async openPositioned(path: string): Promise<PositionedFile> {
    const { fh, st } = await this.openRegular(path, false);
    return new PositionedFile(fh, st.size);
  }

  async close(): Promise<void> {}
}
