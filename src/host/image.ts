import { promises as fsp } from 'node:fs';
import { basename, posix, resolve as resolveLocal } from 'node:path';
import { execLocal } from './exec.js';
import { getfattr } from './xattr.js';
import { FsTarget } from './fs-target.js';
import { NotAvailable, TargetError } from './target.js';
import type { ExecResult } from './target.js';

const MAX_LINKS = 40; // as the kernel's MAXSYMLINKS

/**
 * An offline copy or mount of a disk (`--root DIR`, dead-box forensics). Every path is resolved
 * inside DIR: an absolute symlink in the image points into the image, `..` stops at its root, so a
 * hostile image can never make us read the analyst's own machine.
 */
export class ImageHost extends FsTarget {
  readonly kind = 'image' as const;
  readonly live = false;
  readonly name: string;
  readonly root: string;

  private constructor(root: string, name: string) {
    super();
    this.root = root;
    this.name = name;
  }

  /** Opens DIR; refuses a path that is missing or does not look like a root file system. */
  static async open(dir: string, name?: string): Promise<ImageHost> {
    const root = resolveLocal(dir);
    let st;
    try {
      st = await fsp.stat(root);
    } catch {
      throw new TargetError('ENOENT', `--root ${dir}: no such directory`, dir);
    }
    if (!st.isDirectory()) throw new TargetError('ENOTDIR', `--root ${dir}: not a directory`, dir);
    const etc = await fsp.stat(posix.join(root, 'etc')).catch(() => null);
    if (!etc?.isDirectory()) {
      throw new TargetError('ENOENT', `--root ${dir}: not a root file system (no etc/ directory)`, dir);
    }
    const host = new ImageHost(root, name ?? basename(root));
    const hn = await host.readFile('/etc/hostname', { maxBytes: 256 }).catch(() => null);
    const fromImage = hn?.toString('utf8').trim().replace(/[^A-Za-z0-9._-]/g, '');
    if (!name && fromImage) (host as { name: string }).name = fromImage;
    return host;
  }

  /** Resolves `path` component by component inside the root. */
  protected async realPath(path: string, followFinal: boolean): Promise<string> {
    const todo = posix.normalize('/' + path).split('/').filter(Boolean);
    const done: string[] = [];
    let links = 0;
    while (todo.length > 0) {
      const part = todo.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        done.pop();
        continue;
      }
      const real = posix.join(this.root, ...done, part);
      const isFinal = todo.length === 0;
      if (isFinal && !followFinal) {
        done.push(part);
        break;
      }
      let st;
      try {
        st = await fsp.lstat(real);
      } catch {
        // missing: the caller's own fs call reports ENOENT on the joined path
        done.push(part, ...todo);
        break;
      }
      if (!st.isSymbolicLink()) {
        done.push(part);
        continue;
      }
      if (++links > MAX_LINKS) throw new TargetError('ELOOP', `${path}: too many levels of symbolic links`, path);
      const target = await fsp.readlink(real);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter(Boolean));
    }
    return posix.join(this.root, ...done);
  }

  /** Where the image's `path` is on this machine, links before the last component resolved inside the image. */
  localPath(path: string): Promise<string> {
    return this.realPath(path, false);
  }

  /** Maps a path of this machine under the root back to the image's own path. */
  imagePath(localPath: string): string {
    const rel = posix.relative(this.root, localPath);
    return '/' + rel;
  }

  targetPathOf(localPath: string): string | null {
    return localPath === this.root || localPath.startsWith(`${this.root}/`) ? this.imagePath(localPath) : null;
  }

  /** getfattr run here on the image's file: the xattrs are in the image, whatever machine captured it */
  async xattrs(path: string, names?: string[]): Promise<Record<string, Buffer>> {
    return getfattr((argv) => execLocal(argv), await this.localPath(path), names);
  }

  async exec(argv: string[]): Promise<ExecResult> {
    throw new NotAvailable(`running ${argv[0]}`);
  }
}
