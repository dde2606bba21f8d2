import { UTCDate } from '@date-fns/utc';
import { isValid } from 'date-fns/isValid';
import { parseISO } from 'date-fns/parseISO';
import { sub } from 'date-fns/sub';
import { UserError } from '../core/errors.js';

/** `100M`, `2G`, `512k`, `1048576` → bytes. */
export function parseSize(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(s.trim());
  if (!m) throw new UserError(`${flag} ${s}: not a size`, 'e.g. 512M, 2G, 1048576');
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}

/** `2h`, `3d`, `45m`, `1w` back from now, or an ISO 8601 date/time (UTC unless it says otherwise). */
export function parseSince(s: string, now: Date = new Date()): Date {
  const rel = /^(\d+)\s*([smhdw])$/i.exec(s.trim());
  if (rel) {
    const n = Number(rel[1]);
    const unit = { s: 'seconds', m: 'minutes', h: 'hours', d: 'days', w: 'weeks' }[(rel[2] ?? 'd').toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'];
    return sub(new UTCDate(now), { [unit]: n });
  }
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(s) || !/T|\d\d:\d\d/.test(s) ? s : `${s}Z`;
  const d = parseISO(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (!isValid(d)) throw new UserError(`--since ${s}: not a duration or date`, 'e.g. 2h, 3d, 2026-01-31 or 2026-01-31T12:00:00Z');
  return d;
}

/** A shell-style glob on absolute paths: `*` and `?` stay within one component, `**` crosses them. A glob without `/` matches the file name anywhere. */
export function globMatcher(globs: string[]): (path: string) => boolean {
  const res = globs.map((g) => {
    let re = '';
    for (let i = 0; i < g.length; i++) {
      const c = g[i] ?? '';
      if (c === '*' && g[i + 1] === '*') {
        re += '.*';
        i++;
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return g.includes('/') ? new RegExp(`^${re}(/.*)?$`) : new RegExp(`(^|/)${re}$`);
  });
  return (path) => res.some((r) => r.test(path));
}
