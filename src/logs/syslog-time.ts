/**
 * Timestamps of syslog lines. Classic BSD syslog (`Feb  4 12:00:01`, RFC 3164) has no year and no
 * zone: the year is inferred from a reference time (the file's mtime: the last line was written
 * then), the way logstash and rsyslog do it: a date more than two days after the reference belongs
 * to the year before. That handles New Year inside one file and each rotated file separately.
 * RFC 3339 (`2026-01-05T13:54:43.262668+01:00`, rsyslog's high-precision format, journalctl
 * -o short-iso with `+0100`) carries both.
 */

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const DAY_MS = 86_400_000;

export interface ParsedTime {
  ts: number;
  /** index of the first character after the timestamp (the space before the host) */
  end: number;
}

/** Parses timestamps for one input; caches per minute, since consecutive lines share it. */
export class SyslogClock {
  private cacheKey = '';
  private cacheMs = 0;
  private isoKey = '';
  private isoMs = 0;

  /**
   * @param referenceMs the time the last line was written (file mtime, or now for stdin)
   * @param offsetMinutes the zone classic timestamps are in (east of UTC positive); default UTC
   */
  constructor(
    private readonly referenceMs: number,
    private readonly offsetMinutes = 0,
  ) {}

  /** Parses the timestamp at `pos` (after an optional `<PRI>`); null when there is none. */
  parse(line: string, pos: number): ParsedTime | null {
    const c = line.charCodeAt(pos);
    if (c >= 48 && c <= 57) return this.parseIso(line, pos);
    if (c >= 65 && c <= 90) return this.parseClassic(line, pos);
    return null;
  }

  private parseClassic(line: string, p: number): ParsedTime | null {
    // `Feb  4 12:00:01` or `Feb 14 12:00:01`; some daemons add `.123456` or ` 2026`.
    if (line.length < p + 15 || line.charCodeAt(p + 3) !== 32 || line.charCodeAt(p + 9) !== 58 || line.charCodeAt(p + 12) !== 58) {
      return this.parseClassicLoose(line, p);
    }
    const sec = digit2(line, p + 13);
    if (sec < 0 || sec > 60) return null;
    let minuteMs: number;
    if (this.cacheKey.length > 0 && line.startsWith(this.cacheKey, p)) {
      minuteMs = this.cacheMs;
    } else {
      const key = line.slice(p, p + 12);
      const mon = MONTHS[key.slice(0, 3)];
      const day = parseInt(key.slice(4, 6).trim(), 10);
      const hh = digit2(key, 7);
      const mm = digit2(key, 10);
      if (mon === undefined || !(day >= 1 && day <= 31) || hh < 0 || hh > 23 || mm < 0 || mm > 59) return null;
      minuteMs = this.inferYear(mon, day, hh, mm);
      this.cacheKey = key;
      this.cacheMs = minuteMs;
    }
    let end = p + 15;
    let ms = 0;
    if (line.charCodeAt(end) === 46) {
      // fractional seconds
      let q = end + 1;
      let frac = '';
      while (q < line.length && line.charCodeAt(q) >= 48 && line.charCodeAt(q) <= 57) frac += line[q++];
      ms = frac.length > 0 ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
      end = q;
    }
    // `Feb  4 12:00:01 2026 host` (some syslog-ng templates): the year, when present, wins
    if (line.charCodeAt(end + 5) === 32 && digit2(line, end + 1) >= 0 && digit2(line, end + 3) >= 0 && line.charCodeAt(end) === 32) {
      const year = Number(line.slice(end + 1, end + 5));
      const d = new Date(minuteMs);
      const fixed = Date.UTC(year, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes());
      return { ts: fixed + sec * 1000 + ms, end: end + 5 };
    }
    return { ts: minuteMs + sec * 1000 + ms, end };
  }

  /** `Feb 4 12:00:01` (single space, no padding, some busybox and BSD daemons) */
  private parseClassicLoose(line: string, p: number): ParsedTime | null {
    const m = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)/.exec(line.slice(p, p + 20));
    if (!m) return null;
    const mon = MONTHS[m[1]!];
    if (mon === undefined) return null;
    return { ts: this.inferYear(mon, Number(m[2]), Number(m[3]), Number(m[4])) + Number(m[5]) * 1000, end: p + m[0].length };
  }

  /** The minute as epoch ms, in the year that puts it at most two days after the reference. */
  private inferYear(mon: number, day: number, hh: number, mm: number): number {
    const refYear = new Date(this.referenceMs + this.offsetMinutes * 60_000).getUTCFullYear();
    const off = this.offsetMinutes * 60_000;
    let t = Date.UTC(refYear, mon, day, hh, mm) - off;
    if (t > this.referenceMs + 2 * DAY_MS) t = Date.UTC(refYear - 1, mon, day, hh, mm) - off;
    else if (t < this.referenceMs - 364 * DAY_MS && Date.UTC(refYear + 1, mon, day, hh, mm) - off <= this.referenceMs + 2 * DAY_MS) {
      t = Date.UTC(refYear + 1, mon, day, hh, mm) - off;
    }
    return t;
  }

  private parseIso(line: string, p: number): ParsedTime | null {
    // 2026-01-05T13:54:43[.262668](Z|+01:00|+0100)
    if (line.charCodeAt(p + 4) !== 45 || line.charCodeAt(p + 10) !== 84 || line.charCodeAt(p + 13) !== 58) return null;
    let q = p + 19;
    let ms = 0;
    if (line.charCodeAt(q) === 46) {
      const s = q + 1;
      q = s;
      while (q < line.length && line.charCodeAt(q) >= 48 && line.charCodeAt(q) <= 57) q++;
      ms = Math.floor(Number(`0.${line.slice(s, q)}`) * 1000);
    }
    let offMin = 0;
    const z = line.charCodeAt(q);
    if (z === 90) q += 1;
    else if (z === 43 || z === 45) {
      const hh = digit2(line, q + 1);
      const colon = line.charCodeAt(q + 3) === 58;
      const mm = digit2(line, q + (colon ? 4 : 3));
      if (hh < 0 || mm < 0) return null;
      offMin = (z === 43 ? 1 : -1) * (hh * 60 + mm);
      q += colon ? 6 : 5;
    } else {
      offMin = this.offsetMinutes; // no zone: the host's zone, as for classic lines
    }
    const sec = digit2(line, p + 17);
    if (sec < 0) return null;
    let minuteMs: number;
    const key = line.slice(p, p + 16);
    if (key === this.isoKey) minuteMs = this.isoMs;
    else {
      const y = Number(key.slice(0, 4));
      const mo = Number(key.slice(5, 7));
      const d = Number(key.slice(8, 10));
      const hh = Number(key.slice(11, 13));
      const mi = Number(key.slice(14, 16));
      if (!(y > 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && hh <= 23 && mi <= 59)) return null;
      minuteMs = Date.UTC(y, mo - 1, d, hh, mi);
      this.isoKey = key;
      this.isoMs = minuteMs;
    }
    return { ts: minuteMs + sec * 1000 + ms - offMin * 60_000, end: q };
  }
}

function digit2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** `+01:00`, `-0530`, `UTC`, `Z` → minutes east of UTC. */
export function parseUtcOffset(s: string): number | null {
  if (/^(utc|z|gmt)$/i.test(s)) return 0;
  const m = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(s);
  if (!m) return null;
  const v = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (v > 14 * 60) return null;
  return m[1] === '-' ? -v : v;
}

/**
 * `--since`/`--until`: an ISO 8601 time (`2026-02-01`, `2026-02-01T10:00:00Z`), `@EPOCH`, or a
 * duration back from now (`90m`, `24h`, `7d`, `2w`).
 */
export function parseTimeArg(s: string, now = Date.now()): number | null {
  const rel = /^(\d+)\s*(s|m|min|h|d|w)$/i.exec(s.trim());
  if (rel) {
    const unit = { s: 1e3, m: 6e4, min: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[rel[2]!.toLowerCase() as 's'] ?? 0;
    return now - Number(rel[1]) * unit;
  }
  const epoch = /^@(\d+(?:\.\d+)?)$/.exec(s.trim());
  if (epoch) return Number(epoch[1]) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  // a date or a time without a zone is read as UTC: evidence times are UTC
  const withZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(s) || /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : `${s}Z`;
  const t = Date.parse(withZone.replace(' ', 'T'));
  return Number.isNaN(t) ? null : t;
}
