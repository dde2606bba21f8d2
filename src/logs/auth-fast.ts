import { EVENT_KINDS, type EventKind } from './auth-event.js';
import { MAX_LINE, RE_PAM_FAIL, RE_PAM_SESSION } from './auth-parse.js';
import { addFailure, addRawLine, detach, ipStats, type AuthStats, type StatsOptions } from './auth-stats.js';
import { SyslogClock } from './syslog-time.js';

/**
 * The fast path for classic-syslog text: the lines that make most of a big auth log (sshd
 * `Failed …`, `Invalid user …`, `Connection closed|reset by …`, `Disconnected from …`, `pam_unix(…)`
 * and CRON's pam session lines) are counted straight from the decoded chunk by index, without
 * cutting the line, building an AuthEvent or running the message regex with captures. Every other
 * line, and every line whose shape is the least bit unusual, goes to the full parser (`slow`), so
 * the report is the same as `parseSyslogLine` + `addEvent` line by line (test/unit/logs-fast.test.ts).
 *
 * The caller only passes text that is ASCII without \t \v \f \r (LineSplitter checks the bytes):
 * then ' ' is the only whitespace inside a line, which the manual matching below relies on to
 * reproduce `\S`, `\s` and `.` of the regexes in auth-parse.ts.
 */
export class FastScanner {
  private stamp = '';
  private stampTs = 0;
  private readonly counts = new Float64Array(EVENT_KINDS.length);
  private readonly clock: SyslogClock;
  private readonly since: number;
  private readonly until: number;

  constructor(
    private readonly stats: AuthStats,
    private readonly opts: StatsOptions,
    referenceMs: number,
    offsetMinutes: number,
    private readonly slow: (line: string) => void,
  ) {
    this.clock = new SyslogClock(referenceMs, offsetMinutes);
    this.since = opts.since ?? -Infinity;
    this.until = opts.until ?? Infinity;
  }

  /** Whether the fast path can serve these options (the --ip/--user filters need every event's fields). */
  static usable(o: StatsOptions): boolean {
    return o.ip === undefined && o.user === undefined;
  }

  /** Lines of `text` (no trailing partial line), cut exactly as LineSplitter.emit cuts them. */
  scan(text: string): void {
    const slow = this.slow;
    const n = text.length;
    let p = 0;
    while (p <= n) {
      let nl = text.indexOf('\n', p);
      if (nl < 0) nl = n;
      let e = nl;
      if (e > p && text.charCodeAt(e - 1) === 13) e--;
      if (e > p && !this.line(text, p, e)) slow(text.slice(p, e));
      p = nl + 1;
    }
    this.flush();
  }

  /** Adds the per-kind counts into the stats map (the report reads it by kind, order does not matter). */
  private flush(): void {
    const c = this.counts;
    const byKind = this.stats.byKind;
    for (let i = 0; i < c.length; i++) {
      if (c[i] === 0) continue;
      const k = EVENT_KINDS[i]!;
      byKind.set(k, (byKind.get(k) ?? 0) + c[i]!);
      c[i] = 0;
    }
  }

  /** Counts one line; false (nothing counted) when the full parser has to read it. */
  private line(t: string, p: number, e: number): boolean {
    if (e - p > MAX_LINE || e - p < 24) return false;
    const c0 = t.charCodeAt(p);
    // classic `Feb  4 12:00:01 ` only: `<PRI>`, RFC 3339, fractions and a year go the full way
    if (c0 < 65 || c0 > 90 || t.charCodeAt(p + 15) !== 32) return false;
    if (t.charCodeAt(p + 20) === 32 && isDigit(t, p + 16) && isDigit(t, p + 17) && isDigit(t, p + 18) && isDigit(t, p + 19)) return false;
    let ts: number;
    if (this.stamp.length === 15 && t.startsWith(this.stamp, p)) ts = this.stampTs;
    else {
      const pt = this.clock.parse(t, p);
      if (!pt || pt.end !== p + 15 || Number.isNaN(pt.ts)) return false;
      ts = pt.ts;
      this.stamp = t.slice(p, p + 15);
      this.stampTs = ts;
    }
    if (ts < this.since || ts > this.until) return false;
    const hs = p + 16;
    const he = t.indexOf(' ', hs);
    if (he <= hs || he >= e) return false;
    const ps = he + 1;
    let q: number;
    let sshd = true;
    if (t.startsWith('sshd[', ps)) q = ps + 5;
    else if (t.startsWith('sshd-session[', ps)) q = ps + 13;
    else if (t.startsWith('CRON[', ps)) {
      q = ps + 5;
      sshd = false;
    } else return false;
    // `[PID]: `, 1–9 digits
    let pid = 0;
    const q0 = q;
    for (let c = t.charCodeAt(q); c >= 48 && c <= 57; c = t.charCodeAt(++q)) pid = pid * 10 + (c - 48);
    if (q === q0 || q - q0 > 9 || t.charCodeAt(q) !== 93 || t.charCodeAt(q + 1) !== 58 || t.charCodeAt(q + 2) !== 32) return false;
    const ms = q + 3;
    if (ms >= e) return false;

    let kind: number;
    if (!sshd) {
      // CRON: pam_unix session lines; anything else is for the full parser
      const r = RE_PAM_SESSION.exec(t.slice(ms, e));
      if (!r) return false;
      kind = r[2] === 'opened' ? K_SESSION_OPENED : K_SESSION_CLOSED;
      this.common(t, p, e, hs, he, ts, kind);
      return true;
    }
    const c = t.charCodeAt(ms);
    if (c === 70 /* F */) {
      // RE_FAILED: ^Failed (\S+) for (?:(invalid|illegal) user )?(.*) from (\S+) port (\d+)…
      if (!t.startsWith('Failed ', ms)) return false;
      const a = ms + 7;
      const mi = t.indexOf(' ', a);
      if (mi <= a || mi >= e || !t.startsWith(' for ', mi)) return false;
      const b = mi + 5;
      const invalid = t.startsWith('invalid user ', b) || t.startsWith('illegal user ', b);
      const u0 = invalid ? b + 13 : b;
      // greedy `(.*)`: the last ` from ` that is followed by `\S+ port \d`
      const fi = t.lastIndexOf(' from ', e - 14);
      if (fi < u0) return false;
      const is = fi + 6;
      const ie = t.indexOf(' ', is);
      if (ie <= is || ie + 6 >= e || !t.startsWith(' port ', ie) || !isDigit(t, ie + 6)) return false;
      this.common(t, p, e, hs, he, ts, K_FAILED);
      addFailure(this.stats, this.opts, 'ssh.failed', t.slice(is, ie), t.slice(u0, fi), invalid, pid, ts, t, p, e);
      return true;
    }
    if (c === 73 /* I */) {
      // RE_INVALID: ^(?:Invalid|Illegal) user (.*?) from (\S+?)(?: port (\d+))?\s*$
      if (!t.startsWith('Invalid user ', ms) && !t.startsWith('Illegal user ', ms)) return false;
      const u0 = ms + 13;
      // lazy `(.*?)`: the first ` from `; if what follows does not fit, the regex would look further
      const fi = t.indexOf(' from ', u0);
      if (fi < 0 || fi + 6 >= e) return false;
      const is = fi + 6;
      let ie = t.indexOf(' ', is);
      if (ie < 0 || ie > e) ie = e;
      if (ie === is) return false;
      let r = ie;
      if (t.startsWith(' port ', r) && r + 6 < e && isDigit(t, r + 6)) {
        r += 6;
        while (r < e && isDigit(t, r)) r++;
      }
      while (r < e && t.charCodeAt(r) === 32) r++;
      if (r !== e) return false;
      this.common(t, p, e, hs, he, ts, K_INVALID);
      addFailure(this.stats, this.opts, 'ssh.invalid-user', t.slice(is, ie), t.slice(u0, fi), true, pid, ts, t, p, e);
      return true;
    }
    if (c === 68 /* D */ || c === 67 /* C */) {
      // closed(): RE_CLOSED on the message without ` [preauth]`; `Disconnected from user …` is RE_DISC_USER's
      let a: number;
      if (t.startsWith('Disconnected from ', ms)) {
        if (t.startsWith('Disconnected from user ', ms)) return false;
        a = ms + 18;
      } else if (t.startsWith('Connection closed by ', ms)) a = ms + 21;
      else if (t.startsWith('Connection reset by ', ms)) a = ms + 20;
      else return false;
      const preauth = t.endsWith(' [preauth]', e);
      if (!preauth && t.endsWith('[preauth]', e)) return false;
      const se = preauth ? e - 10 : e;
      // `(?:(authenticating|invalid) user (.*) )?(\S+) port (\d+)$`
      let u0 = -1;
      if (t.startsWith('authenticating user ', a)) u0 = a + 20;
      else if (t.startsWith('invalid user ', a)) u0 = a + 13;
      const pi = t.lastIndexOf(' port ', se - 7);
      if (pi < a) return false;
      for (let i = pi + 6; i < se; i++) if (!isDigit(t, i)) return false;
      const si = t.lastIndexOf(' ', pi - 1);
      if (si + 1 >= pi) return false;
      if (u0 >= 0 ? si < u0 : si !== a - 1) return false;
      if (u0 >= 0 || preauth) {
        this.common(t, p, e, hs, he, ts, K_PREAUTH);
        ipStats(this.stats, t.slice(si + 1, pi), ts).disconnects++;
      } else this.common(t, p, e, hs, he, ts, K_LOGOUT);
      return true;
    }
    if (c === 112 /* p */) {
      // sshd(): RE_PAM_FAIL, then pam() (RE_PAM_SESSION); no later branch starts with `p`: else `other`
      const m = t.slice(ms, e);
      if (RE_PAM_FAIL.test(m)) kind = K_PAM_FAIL;
      else {
        const r = RE_PAM_SESSION.exec(m);
        kind = r ? (r[2] === 'opened' ? K_SESSION_OPENED : K_SESSION_CLOSED) : K_OTHER;
      }
      this.common(t, p, e, hs, he, ts, kind);
      return true;
    }
    return false;
  }

  /** What addEvent does for every event before its per-kind part. */
  private common(t: string, p: number, e: number, hs: number, he: number, ts: number, kind: number): void {
    const s = this.stats;
    s.lines++;
    s.events++;
    if (ts < s.dataStart) s.dataStart = ts;
    this.counts[kind]!++;
    if (ts < s.first) s.first = ts;
    if (ts > s.last) s.last = ts;
    const lh = s.lastHost;
    if (!(he - hs === lh.length && t.startsWith(lh, hs)) && s.hosts.size < 100) {
      s.lastHost = detach(t.slice(hs, he));
      s.hosts.add(s.lastHost);
    }
    if (this.opts.tail > 0) addRawLine(s, t.slice(p, e), this.opts);
  }
}

const kindIndex = (k: EventKind): number => EVENT_KINDS.indexOf(k);
const K_FAILED = kindIndex('ssh.failed');
const K_INVALID = kindIndex('ssh.invalid-user');
const K_PREAUTH = kindIndex('ssh.preauth-disconnect');
const K_LOGOUT = kindIndex('ssh.logout');
const K_PAM_FAIL = kindIndex('pam.auth-failure');
const K_SESSION_OPENED = kindIndex('session.opened');
const K_SESSION_CLOSED = kindIndex('session.closed');
const K_OTHER = kindIndex('other');

function isDigit(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  return c >= 48 && c <= 57;
}
