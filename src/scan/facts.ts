import { Memo } from '../core/memo.js';
import type { Target } from '../host/target.js';
import { readTextOrNull } from '../host/target.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** Shells that cannot start an interactive session. */
export const NOLOGIN_SHELLS = /(^|\/)(nologin|false|sync|halt|shutdown)$/;

export function parsePasswd(text: string): Account[] {
  const out: Account[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! });
  }
  return out;
}

/** Facts several detectors need, read once per scan and shared. */
export class Facts {
  private readonly cache = new Memo();
  constructor(readonly target: Target) {}

  protected memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.cache.get(key, fn);
  }

  accounts(): Promise<Account[]> {
    return this.memo('accounts', async () => parsePasswd((await readTextOrNull(this.target, '/etc/passwd')) ?? ''));
  }

  /** A system account: uid below 1000 other than root, or a no-login shell. */
  static isSystemAccount(a: Account): boolean {
    return (a.uid > 0 && a.uid < 1000) || a.uid === 65534;
  }
}
