import { EVENT_KINDS, type EventKind } from './auth-event.js';
import { MAX_LINE, RE_ADDR_PORT, RE_LOGIND, RE_MAXAUTH, RE_PAM_FAIL, RE_PAM_SESSION, RE_RECEIVED } from './auth-parse.js';
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
  /** last address and user cut from the text: consecutive lines of one connection repeat them */
  private ipKey = '';
  private userKey = '';
  private readonly sshdMsgs: string[] = Array<string>(MEMO).fill('');
  private readonly sshdKinds: number[] = Array<number>(MEMO).fill(0);
  private sshdNext = 0;
  private sshdHit = 0;
  private readonly cronMsgs: string[] = Array<string>(MEMO).fill('');
  private readonly cronKinds: number[] = Array<number>(MEMO).fill(0);
  private cronNext = 0;
  private cronHit = 0;
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
    if (this.stamp.length === 15 && at(t, p, this.stamp)) ts = this.stampTs;
    else {
      const pt = this.clock.parse(t, p);
      if (!pt || pt.end !== p + 15 || Number.isNaN(pt.ts)) return false;
      ts = pt.ts;
      this.stamp = t.slice(p, p + 15);
      this.stampTs = ts;
    }
    if (ts < this.since || ts > this.until) return false;
    const hs = p + 16;
    const he = space(t, hs, e);
    if (he <= hs) return false;
    const ps = he + 1;
    let q: number;
    let sshd = true;
    if (at(t, ps, 'sshd[')) q = ps + 5;
    else if (at(t, ps, 'sshd-session[')) q = ps + 13;
    else if (at(t, ps, 'CRON[')) {
      q = ps + 5;
      sshd = false;
    } else if (at(t, ps, 'sudo: pam_unix(')) {
      // sudo(): pam() on `pam_unix(` messages; only session lines here (an auth failure is sudo.failed, with stats)
      const ms = ps + 6;
      if (ms >= e) return false;
      const kind = this.memo(t, ms, e, false);
      if (kind < 0) return false;
      this.common(t, p, e, hs, he, ts, kind);
      return true;
    } else if (at(t, ps, 'systemd-logind[')) {
      // logind(): RE_LOGIND, else `other`; the pid does not matter
      q = ps + 15;
      while (isDigit(t, q)) q++;
      if (q === ps + 15 || q - ps - 15 > 9 || !at(t, q, ']: ') || q + 3 >= e) return false;
      this.common(t, p, e, hs, he, ts, RE_LOGIND.test(t.slice(q + 3, e)) ? K_LOGIND : K_OTHER);
      return true;
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
      kind = this.memo(t, ms, e, false);
      if (kind < 0) return false;
      this.common(t, p, e, hs, he, ts, kind);
      return true;
    }
    const c = t.charCodeAt(ms);
    if (c === 70 /* F */) {
      // RE_FAILED: ^Failed (\S+) for (?:(invalid|illegal) user )?(.*) from (\S+) port (\d+)…
      if (!at(t, ms, 'Failed ')) return false;
      const a = ms + 7;
      const mi = space(t, a, e);
      if (mi <= a || !at(t, mi, ' for ')) return false;
      const b = mi + 5;
      const invalid = at(t, b, 'invalid user ') || at(t, b, 'illegal user ');
      const u0 = invalid ? b + 13 : b;
      // greedy `(.*)`: the last ` from ` that is followed by `\S+ port \d`
      const fi = lastFrom(t, e - 14, u0);
      if (fi < 0) return false;
      const is = fi + 6;
      const ie = space(t, is, e);
      if (ie <= is || ie + 6 >= e || !at(t, ie, ' port ') || !isDigit(t, ie + 6)) return false;
      this.common(t, p, e, hs, he, ts, K_FAILED);
      addFailure(this.stats, this.opts, 'ssh.failed', this.ip(t, is, ie), this.user(t, u0, fi), invalid, pid, ts, t, p, e);
      return true;
    }
    if (c === 73 /* I */) {
      // RE_INVALID: ^(?:Invalid|Illegal) user (.*?) from (\S+?)(?: port (\d+))?\s*$
      if (!at(t, ms, 'Invalid user ') && !at(t, ms, 'Illegal user ')) return false;
      const u0 = ms + 13;
      // lazy `(.*?)`: the first ` from `; if what follows does not fit, the regex would look further
      const fi = firstFrom(t, u0, e - 7);
      if (fi < 0) return false;
      const is = fi + 6;
      let ie = space(t, is, e);
      if (ie < 0) ie = e;
      if (ie === is) return false;
      let r = ie;
      if (r + 6 < e && at(t, r, ' port ') && isDigit(t, r + 6)) {
        r += 6;
        while (r < e && isDigit(t, r)) r++;
      }
      while (r < e && t.charCodeAt(r) === 32) r++;
      if (r !== e) return false;
      this.common(t, p, e, hs, he, ts, K_INVALID);
      addFailure(this.stats, this.opts, 'ssh.invalid-user', this.ip(t, is, ie), this.user(t, u0, fi), true, pid, ts, t, p, e);
      return true;
    }
    if (c === 68 /* D */ || c === 67 /* C */) {
      // closed(): RE_CLOSED on the message without ` [preauth]`; `Disconnected from user …` is RE_DISC_USER's
      let a: number;
      if (at(t, ms, 'Disconnected from ')) {
        if (at(t, ms + 18, 'user ')) return false;
        a = ms + 18;
      } else if (at(t, ms, 'Connection closed by ')) a = ms + 21;
      else if (at(t, ms, 'Connection reset by ')) a = ms + 20;
      else return false;
      const preauth = at(t, e - 10, ' [preauth]');
      if (!preauth && at(t, e - 9, '[preauth]')) return false;
      const se = preauth ? e - 10 : e;
      // `(?:(authenticating|invalid) user (.*) )?(\S+) port (\d+)$`
      let u0 = -1;
      if (at(t, a, 'authenticating user ')) u0 = a + 20;
      else if (at(t, a, 'invalid user ')) u0 = a + 13;
      const pi = lastPort(t, se - 7, a);
      if (pi < 0) return false;
      for (let i = pi + 6; i < se; i++) if (!isDigit(t, i)) return false;
      let si = pi - 1;
      while (t.charCodeAt(si) !== 32) si--;
      if (si + 1 >= pi) return false;
      if (u0 >= 0 ? si < u0 : si !== a - 1) return false;
      if (u0 >= 0 || preauth) {
        this.common(t, p, e, hs, he, ts, K_PREAUTH);
        ipStats(this.stats, this.ip(t, si + 1, pi), ts).disconnects++;
      } else this.common(t, p, e, hs, he, ts, K_LOGOUT);
      return true;
    }
    if (c === 82 /* R */) {
      // RE_RECEIVED; after a login (no `[preauth]`) a logout
      const m = t.slice(ms, e);
      const r = RE_RECEIVED.exec(m);
      if (!r) return false;
      if (m.endsWith('[preauth]')) {
        this.common(t, p, e, hs, he, ts, K_PREAUTH);
        ipStats(this.stats, r[1]!, ts).disconnects++;
      } else this.common(t, p, e, hs, he, ts, K_LOGOUT);
      return true;
    }
    if (c === 101 /* e */) {
      const r = RE_MAXAUTH.exec(t.slice(ms, e));
      if (!r) return false;
      this.common(t, p, e, hs, he, ts, K_MAX);
      ipStats(this.stats, r[3]!, ts).maxAttempts++;
      return true;
    }
    if (c === 98 /* b */) {
      if (!at(t, ms, 'banner exchange:')) return false;
      this.common(t, p, e, hs, he, ts, K_PREAUTH);
      const a = RE_ADDR_PORT.exec(t.slice(ms, e));
      if (a) ipStats(this.stats, a[1]!, ts).disconnects++;
      return true;
    }
    if (c === 112 /* p */) {
      // sshd(): RE_PAM_FAIL, then pam() (RE_PAM_SESSION); no later branch starts with `p`: else `other`
      kind = this.memo(t, ms, e, true);
      this.common(t, p, e, hs, he, ts, kind);
      return true;
    }
    return false;
  }

  /**
   * The kind of a pam_unix message, as sshd() (`sshd`: RE_PAM_FAIL, then RE_PAM_SESSION, else
   * `other`) or pam() for CRON (RE_PAM_SESSION; -1: not a session line) find it. The regexes read
   * only the message, so the answer for a message seen a moment ago is reused (CRON and
   * `check pass; user unknown` lines repeat word for word).
   */
  private memo(t: string, ms: number, e: number, sshd: boolean): number {
    const keys = sshd ? this.sshdMsgs : this.cronMsgs;
    const kinds = sshd ? this.sshdKinds : this.cronKinds;
    const n = e - ms;
    // from the last hit on: the same message tends to come again soon
    const h = sshd ? this.sshdHit : this.cronHit;
    for (let j = 0; j < MEMO; j++) {
      const i = (h + j) % MEMO;
      const k = keys[i]!;
      if (k.length === n && at(t, ms, k)) {
        if (sshd) this.sshdHit = i;
        else this.cronHit = i;
        return kinds[i]!;
      }
    }
    const m = t.slice(ms, e);
    let kind: number;
    if (sshd && RE_PAM_FAIL.test(m)) kind = K_PAM_FAIL;
    else {
      const r = RE_PAM_SESSION.exec(m);
      kind = r ? (r[2] === 'opened' ? K_SESSION_OPENED : K_SESSION_CLOSED) : sshd ? K_OTHER : -1;
    }
    if (n <= 160) {
      const i = sshd ? this.sshdNext++ % MEMO : this.cronNext++ % MEMO;
      keys[i] = detach(m);
      kinds[i] = kind;
    }
    return kind;
  }

  /** `t.slice(a, b)`, or the same string as last time (its hash is cached: Map lookups are cheaper). */
  private ip(t: string, a: number, b: number): string {
    const k = this.ipKey;
    if (b - a === k.length && at(t, a, k)) return k;
    return (this.ipKey = t.slice(a, b));
  }

  private user(t: string, a: number, b: number): string {
    const k = this.userKey;
    if (b - a === k.length && at(t, a, k)) return k;
    return (this.userKey = t.slice(a, b));
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
    if (!(he - hs === lh.length && at(t, hs, lh)) && s.hosts.size < 100) {
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
const K_MAX = kindIndex('ssh.max-attempts');
const K_LOGIND = kindIndex('logind.session');

/** Pam messages remembered per program family. */
const MEMO = 8;

/** `t.startsWith(s, i)` without the builtin's call cost (compared from the end: time stamps differ there). */
function at(t: string, i: number, s: string): boolean {
  for (let k = s.length - 1; k >= 0; k--) if (t.charCodeAt(i + k) !== s.charCodeAt(k)) return false;
  return true;
}

/** First ' ' in [i, e), or -1. */
function space(t: string, i: number, e: number): number {
  for (; i < e; i++) if (t.charCodeAt(i) === 32) return i;
  return -1;
}

/** Last ` from ` starting in [lo, hi], or -1. */
function lastFrom(t: string, hi: number, lo: number): number {
  for (let i = hi; i >= lo; i--) if (t.charCodeAt(i + 1) === 102 && t.charCodeAt(i) === 32 && at(t, i, ' from ')) return i;
  return -1;
}

/** First ` from ` starting in [lo, hi], or -1. */
function firstFrom(t: string, lo: number, hi: number): number {
  for (let i = lo; i <= hi; i++) if (t.charCodeAt(i + 1) === 102 && t.charCodeAt(i) === 32 && at(t, i, ' from ')) return i;
  return -1;
}

/** Last ` port ` starting in [lo, hi], or -1. */
function lastPort(t: string, hi: number, lo: number): number {
  for (let i = hi; i >= lo; i--) if (t.charCodeAt(i + 1) === 112 && t.charCodeAt(i) === 32 && at(t, i, ' port ')) return i;
  return -1;
}

function isDigit(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  return c >= 48 && c <= 57;
}
