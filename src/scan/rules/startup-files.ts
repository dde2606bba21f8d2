import { posix } from 'node:path';
import type { DetectorContext, Collector } from '../detector.js';
import { NOLOGIN_SHELLS } from '../facts.js';
import { entriesOf, isFileish } from './judge-file.js';

export const SYSTEM_STARTUP = ['/etc/profile', '/etc/bash.bashrc', '/etc/bash.bash_logout', '/etc/environment', '/etc/zsh/zshenv', '/etc/zsh/zprofile', '/etc/zsh/zshrc', '/etc/zsh/zlogin', '/etc/zsh/zlogout', '/etc/zshenv', '/etc/zshrc', '/etc/profile.d/*', '/etc/bashrc'];
export const USER_STARTUP = ['.bashrc', '.bash_profile', '.bash_login', '.profile', '.bash_logout', '.bash_aliases', '.zshrc', '.zshenv', '.zprofile', '.zlogin', '.pam_environment'];

/** Home directories worth reading: root and every account with a home that exists and a login shell or files in it. */
export async function homes(ctx: DetectorContext): Promise<{ user: string; uid: number; home: string; login: boolean }[]> {
  const out: { user: string; uid: number; home: string; login: boolean }[] = [];
  const seen = new Set<string>();
  for (const a of await ctx.facts.accounts()) {
    if (!a.home || a.home === '/' || a.home === '/nonexistent' || seen.has(a.home)) continue;
    seen.add(a.home);
    out.push({ user: a.name, uid: a.uid, home: a.home, login: !NOLOGIN_SHELLS.test(a.shell) });
  }
  return out;
}

/** Every shell startup file on the target: system-wide, profile.d, and each account's dotfiles. */
export async function startupFiles(ctx: DetectorContext, c: Collector): Promise<{ path: string; user?: string }[]> {
  const out: { path: string; user?: string }[] = [];
  for (const p of SYSTEM_STARTUP) {
    if (p.endsWith('/*')) {
      for (const e of await entriesOf(c, ctx, p.slice(0, -2))) if (isFileish(e)) out.push({ path: e.path });
    } else out.push({ path: p });
  }
  for (const h of await homes(ctx)) for (const f of USER_STARTUP) out.push({ path: posix.join(h.home, f), user: h.user });
  return out;
}
