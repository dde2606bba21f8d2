import { hostname } from 'node:os';
import { FsTarget } from './fs-target.js';
import { execLocal } from './exec.js';
import type { ExecOptions, ExecResult } from './target.js';

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

  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const elevate = opts.privileged && this.opts.sudo && process.getuid?.() !== 0;
    return execLocal(elevate ? ['sudo', '-n', '--', ...argv] : argv, opts);
  }
}
