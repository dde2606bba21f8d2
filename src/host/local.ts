import { hostname } from 'node:os';
import { FsTarget } from './fs-target.js';
import { execLocal } from './exec.js';
import type { ExecOptions, ExecResult } from './target.js';
import { getfattr } from './xattr.js';

/** The machine ir runs on. Paths are the kernel's; exec is execFile-style argv, never a shell. */
export class LocalHost extends FsTarget {
  readonly kind = 'local' as const;
  readonly live = true;
  readonly name: string;

  constructor(private readonly opts: { sudo?: boolean; name?: string } = {}) {
    super();
    this.name = opts.name ?? hostname();
  }

  protected async realPath(path: string): Promise<string> {
    return path;
  }

  async localPath(path: string): Promise<string> {
    return path;
  }

  targetPathOf(localPath: string): string {
    return localPath;
  }

  xattrs(path: string, names?: string[]): Promise<Record<string, Buffer>> {
    return getfattr((argv) => this.exec(argv, { privileged: true }), path, names);
  }

  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const elevate = opts.privileged && this.opts.sudo && process.getuid?.() !== 0;
    return execLocal(elevate ? ['sudo', '-n', '--', ...argv] : argv, opts);
  }
}
