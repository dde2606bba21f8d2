import { Memo } from '../core/memo.js';
import type { ExecOptions, ExecResult, Target } from '../host/target.js';
import { TargetError, readTextOrNull } from '../host/target.js';
import type { Policy } from '../core/policy.js';
import { SWEEP_DEFAULTS, type StateKind, type SweepDefaults } from './defaults.js';

export interface SweepOptions {
  /** application directories given with --app (added to those found from systemd units and Compose) */
  apps?: string[];
  /** sshd_config files to evaluate instead of those of the running sshd */
  sshdConfigs?: string[];
  /** extra `sshd -T -C` connection specs (user=…,host=…,addr=…) */
  sshMatch?: string[];
  /** fail2ban configuration directory (default /etc/fail2ban); fail2ban-client finds the socket from it */
  fail2banDir?: string;
  /** the state kinds kept for the baseline (default all): hygiene leaves persistence to its own scan */
  stateKinds?: readonly StateKind[];
  /** clock for certificate expiry (tests) */
  now?: Date;
}

/** What a check gets: the target, the policy and facts shared between checks, each read once per sweep. */
export class SweepContext {
  private readonly cache = new Memo();
  constructor(
    readonly target: Target,
    readonly policy: Policy,
    readonly opts: SweepOptions = {},
    readonly knobs: SweepDefaults = SWEEP_DEFAULTS,
  ) {}

  memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.cache.get(key, fn);
  }

  now(): Date {
    return this.opts.now ?? new Date();
  }

  /** Runs a command on a live target; null when the program is not installed there. */
  async run(argv: string[], opts: ExecOptions = {}): Promise<ExecResult | null> {
    try {
      return await this.target.exec(argv, { privileged: true, timeoutMs: 20_000, ...opts });
    } catch (err) {
      if (err instanceof TargetError && err.code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Text of a file, null when missing (memoised: several checks read the same config). */
  read(path: string): Promise<string | null> {
    return this.memo(`file:${path}`, () => readTextOrNull(this.target, path, { maxBytes: 4 * 1024 * 1024 }));
  }
}

/** `sshd -T -f X` as a one-line evidence string. */
export function argvText(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
