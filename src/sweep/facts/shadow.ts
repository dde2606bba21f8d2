import type { SweepContext } from '../context.js';

export interface ShadowEntry {
  name: string;
  line: number;
  /** empty | locked | des | md5 | bcrypt | sha256 | sha512 | yescrypt | gost-yescrypt | scrypt | unknown */
  kind: string;
  /** the hash itself, kept only for drift (hashed again before it leaves the process) */
  hash: string;
}

/** Classifies a crypt(3) field without printing it: `!`/`*` locked, `$1$` MD5, 13 characters DES … */
export function hashKind(field: string): string {
  if (field === '') return 'empty';
  if (/^[!*]/.test(field)) return 'locked';
  if (/^\$1\$/.test(field)) return 'md5';
  if (/^\$2[abxy]?\$/.test(field)) return 'bcrypt';
  if (/^\$5\$/.test(field)) return 'sha256';
  if (/^\$6\$/.test(field)) return 'sha512';
  if (/^\$y\$/.test(field)) return 'yescrypt';
  if (/^\$gy\$/.test(field)) return 'gost-yescrypt';
  if (/^\$7\$/.test(field)) return 'scrypt';
  if (/^[./0-9A-Za-z]{13}$/.test(field)) return 'des';
  if (/^_[./0-9A-Za-z]{19}$/.test(field)) return 'bsdi-des';
  return 'unknown';
}

export function parseShadow(text: string): ShadowEntry[] {
  const out: ShadowEntry[] = [];
  text.split('\n').forEach((l, i) => {
    if (!l || l.startsWith('#')) return;
    const f = l.split(':');
    if (f.length < 2) return;
    out.push({ name: f[0]!, line: i + 1, kind: hashKind(f[1]!), hash: f[1]! });
  });
  return out;
}

export function shadowEntries(ctx: SweepContext): Promise<ShadowEntry[] | null> {
  return ctx.memo('shadow', async () => {
    const text = await ctx.read('/etc/shadow');
    return text === null ? null : parseShadow(text);
  });
}
