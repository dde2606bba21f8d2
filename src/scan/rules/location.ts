import type { FileStat } from '../../host/target.js';
import { SEVERITIES, type Severity } from '../../core/finding.js';

/** Directories any local user (or a web process) can write: a root job running from there is a gift. */
const WORLD_WRITABLE = /^\/(tmp|var\/tmp|dev\/shm|run\/shm|var\/crash|run\/lock|var\/lock)(\/|$)/;
const HOME = /^\/(home\/[^/]+|root)(\/|$)/;
/** Dot-directories that ordinary setups use (virtualenvs, version managers, caches). */
const BENIGN_HIDDEN = /^\.(venv|virtualenvs|pyenv|nvm|cargo|rustup|local|cache|config|npm|rbenv|sdkman|git|well-known|bundle|gem|deno|bun)$/;

export function inWorldWritableDir(path: string): boolean {
  return WORLD_WRITABLE.test(path);
}

export function inHomeDir(path: string): boolean {
  return HOME.test(path);
}

/** A path component that starts with a dot (`/usr/lib/.x/bin`, `/tmp/...`), not a well-known one. */
export function hiddenComponent(path: string): string | undefined {
  return path.split('/').find((p) => p.startsWith('.') && p !== '.' && p !== '..' && !BENIGN_HIDDEN.test(p)) ?? (path.includes('/.../') ? '...' : undefined);
}

/** The first absolute path of a command line (`/usr/bin/x -a` → `/usr/bin/x`), after systemd's prefixes. */
export function programOf(cmd: string): string | undefined {
  const t = cmd.trim().replace(/^[-@:+!|]+/, '').trim();
  const m = /^(\S+)/.exec(t);
  if (!m) return undefined;
  const p = m[1]!.replace(/^["']|["']$/g, '');
  return p.startsWith('/') ? p : undefined;
}

export function raise(s: Severity, steps = 1, cap: Severity = 'critical'): Severity {
  const i = Math.min(SEVERITIES.indexOf(s) + steps, SEVERITIES.indexOf(cap));
  return SEVERITIES[Math.max(i, SEVERITIES.indexOf(s))]!;
}

/** Changed in the last `days` days: evidence, never enough alone to make something high. */
export function recentlyChanged(st: FileStat, days = 7, now = Date.now() / 1000): boolean {
  return now - Math.max(st.mtime, st.ctime ?? 0) < days * 86400;
}

/** Writable by group or others: anyone in that group can change what root runs. */
export function looselyWritable(st: FileStat): boolean {
  return (st.mode & 0o022) !== 0 && st.type !== 'symlink';
}
