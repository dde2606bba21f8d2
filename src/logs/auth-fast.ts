import { EVENT_KINDS, type EventKind } from './auth-event.js';
import { MAX_LINE, parseMessage, RE_ADDR_PORT, RE_LOGIND, RE_MAXAUTH, RE_RECEIVED } from './auth-parse.js';
import { addAccepted, addFailure, addRawLine, addSudo, canonAddr, ipStats, type AuthStats, type StatsOptions } from './auth-stats.js';
import { SyslogClock } from './syslog-time.js';

/**
 * The fast path for classic-syslog text: the lines that make most of a big auth log (sshd
 * `Failed …`, `Invalid user …`, `Connection closed|reset by …`, `Disconnected from …`, `pam_unix(…)`
 * and CRON's pam session lines) are counted straight from the bytes of the chunk, without decoding
 * them, cutting the line, building an AuthEvent or running the message regex with captures. Every
 * other line, and every line whose shape is the least bit unusual, is decoded and goes to the full
 * parser (`slow`), so the report is the same as `parseSyslogLine` + `addEvent` line by line
 * (test/unit/logs-fast.test.ts).
 *
 * The caller only passes bytes that are ASCII without \t \v \f \r (LineSplitter checks them):
 * then a byte is a character, ' ' is the only whitespace inside a line, which the manual matching
 * below relies on to reproduce `\S`, `\s` and `.` of the regexes in auth-parse.ts. Bytes are read
 * from a Uint8Array and compared four at a time through a DataView: a string's charCodeAt costs
 * several times more per character (the profile was dominated by character comparisons).
 */
const EMPTY = Buffer.alloc(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

export class FastScanner {
  /** the minute of the last classic timestamp (12 bytes, as words) and its time */
  private minuteOk = false;
  private st0 = 0;
  private st1 = 0;
  private st2 = 0;
  private minuteMs = 0;
  /** the bytes of `stats.lastHost` as the fast path last saw it */
  private hostStr: string | null = null;
  private hostLit: Lit = lit('');
  /** addresses and users cut from the bytes, interned: lines and connections repeat them */
  private readonly ips = new Interner(canonAddr);
  private readonly users = new Interner();
  private readonly words = new Interner();
  private readonly sshdMsgs: Lit[] = Array<Lit>(MEMO).fill(lit(''));
  private readonly sshdKinds: number[] = Array<number>(MEMO).fill(0);
  private sshdNext = 0;
  private sshdHit = 0;
  private readonly cronMsgs: Lit[] = Array<Lit>(MEMO).fill(lit(''));
  private readonly cronKinds: number[] = Array<number>(MEMO).fill(0);
  private cronNext = 0;
  private cronHit = 0;
  private readonly pairIp = new Int32Array(1 << PAIR_BITS);
  private readonly pairUser = new Int32Array(1 << PAIR_BITS);
  private readonly counts = new Float64Array(EVENT_KINDS.length);
  private readonly clock: SyslogClock;
  private readonly since: number;
  private readonly until: number;
  /** the run being scanned: its Buffer (to decode), bytes and a DataView over the same memory */
  private b: Buffer = EMPTY;
  private u: Uint8Array = EMPTY;
  private d: DataView = EMPTY_VIEW;

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

  /** Lines of `b` (no trailing partial line), cut exactly as LineSplitter.emit cuts them. */
  scan(b: Buffer): void {
    const slow = this.slow;
    const u = new Uint8Array(b.buffer, b.byteOffset, b.length);
    this.b = b;
    this.u = u;
    this.d = new DataView(b.buffer, b.byteOffset, b.length);
    const n = b.length;
    let p = 0;
    while (p <= n) {
      let nl = b.indexOf(10, p);
      if (nl < 0) nl = n;
      let e = nl;
      if (e > p && u[e - 1] === 13) e--;
      if (e > p && !this.line(p, e)) slow(b.toString('latin1', p, e));
      p = nl + 1;
    }
    this.flush();
    // the run's memory is the caller's (a reused read buffer): do not hold on to it
    this.b = EMPTY;
    this.u = EMPTY;
    this.d = EMPTY_VIEW;
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

  /**
   * The time of the classic stamp at `p`, NaN when the full parser has to read the line. The minute
   * (`Feb  4 12:00`, 12 bytes) is compared as words with the last one parsed; then only the seconds
   * are read, as SyslogClock.parseClassic does with its own per-minute cache.
   */
  private stamp(p: number, e: number): number {
    const d = this.d;
    const u = this.u;
    if (this.minuteOk && d.getUint32(p + 8, true) === this.st2 && d.getUint32(p + 4, true) === this.st1 && d.getUint32(p, true) === this.st0 && u[p + 12] === 58) {
      const a = u[p + 13]! - 48;
      const b = u[p + 14]! - 48;
      if (a >= 0 && a <= 9 && b >= 0 && b <= 9 && a * 10 + b <= 60) return this.minuteMs + (a * 10 + b) * 1000;
    }
    const pt = this.clock.parse(this.b.toString('latin1', p, Math.min(e, p + 32)), 0);
    if (!pt || pt.end !== 15 || Number.isNaN(pt.ts)) return NaN;
    // seconds, as parseClassic read them (`Feb  4 12:00:01`: bytes 12–14 are `:SS`)
    if (u[p + 12] === 58 && u[p + 3] === 32 && u[p + 9] === 58) {
      this.minuteOk = true;
      this.st0 = d.getUint32(p, true);
      this.st1 = d.getUint32(p + 4, true);
      this.st2 = d.getUint32(p + 8, true);
      this.minuteMs = pt.ts - ((u[p + 13]! - 48) * 10 + (u[p + 14]! - 48)) * 1000;
    }
    return pt.ts;
  }

  /** Counts one line; false (nothing counted) when the full parser has to read it. */
  private line(p: number, e: number): boolean {
    if (e - p > MAX_LINE || e - p < 24) return false;
    const u = this.u;
    const d = this.d;
    const c0 = u[p]!;
    // classic `Feb  4 12:00:01 ` only: `<PRI>`, RFC 3339, fractions and a year go the full way
    if (c0 < 65 || c0 > 90 || u[p + 15] !== 32) return false;
    if (u[p + 20] === 32 && isDigit(u, p + 16) && isDigit(u, p + 17) && isDigit(u, p + 18) && isDigit(u, p + 19)) return false;
    const ts = this.stamp(p, e);
    if (Number.isNaN(ts)) return false;
    if (ts < this.since || ts > this.until) return false;
    const hs = p + 16;
    const he = space(u, hs, e);
    if (he <= hs) return false;
    const ps = he + 1;
    let q: number;
    let sshd = true;
    if (at(d, ps, e, L_SSHD)) q = ps + 5;
    else if (at(d, ps, e, L_SSHD_SESSION)) q = ps + 13;
    else if (at(d, ps, e, L_CRON)) {
      q = ps + 5;
      sshd = false;
    } else if (at(d, ps, e, L_SUDO_PAM)) {
      // sudo(): pam() on `pam_unix(` messages; only session lines here (an auth failure is sudo.failed, with stats)
      const ms = ps + 6;
      if (ms >= e) return false;
      const kind = this.memo(ms, e, false);
      if (kind < 0) return false;
      this.common(p, e, hs, he, ts, kind, true);
      return true;
    } else if (at(d, ps, e, L_SUDO)) {
      return this.sudo(p, e, hs, he, ts, ps + 6);
    } else if (at(d, ps, e, L_LOGIND)) {
      // logind(): RE_LOGIND, else `other`; the pid does not matter
      q = ps + 15;
      while (q < e && isDigit(u, q)) q++;
      if (q === ps + 15 || q - ps - 15 > 9 || !at(d, q, e, L_PID_END) || q + 3 >= e) return false;
      this.common(p, e, hs, he, ts, RE_LOGIND.test(this.b.toString('latin1', q + 3, e)) ? K_LOGIND : K_OTHER, false);
      return true;
    } else return false;
    // `[PID]: `, 1–9 digits
    let pid = 0;
    const q0 = q;
    for (let c = u[q]!; q < e && c >= 48 && c <= 57; c = u[++q]!) pid = pid * 10 + (c - 48);
    if (q === q0 || q - q0 > 9 || !at(d, q, e, L_PID_END)) return false;
    const ms = q + 3;
    if (ms >= e) return false;

    let kind: number;
    if (!sshd) {
      // CRON: pam_unix session lines; anything else is for the full parser
      kind = this.memo(ms, e, false);
      if (kind < 0) return false;
      this.common(p, e, hs, he, ts, kind, false);
      return true;
    }
    const c = u[ms];
    if (c === 70 /* F */) {
      // RE_FAILED: ^Failed (\S+) for (?:(invalid|illegal) user )?(.*) from (\S+) port (\d+)…
      if (!at(d, ms, e, L_FAILED)) return false;
      const a = ms + 7;
      const mi = space(u, a, e);
      if (mi <= a || !at(d, mi, e, L_FOR)) return false;
      const b = mi + 5;
      const invalid = at(d, b, e, L_INVALID_USER) || at(d, b, e, L_ILLEGAL_USER);
      const u0 = invalid ? b + 13 : b;
      // greedy `(.*)`: the last ` from ` that is followed by `\S+ port \d`
      const fi = lastFrom(u, d, e - 14, u0, e);
      if (fi < 0) return false;
      const is = fi + 6;
      const ie = space(u, is, e);
      if (ie <= is || ie + 6 >= e || !at(d, ie, e, L_PORT) || !isDigit(u, ie + 6)) return false;
      this.common(p, e, hs, he, ts, K_FAILED, true);
      this.failure('ssh.failed', is, ie, u0, fi, invalid, pid, ts, p, e);
      return true;
    }
    if (c === 65 /* A */) {
      // RE_ACCEPTED: ^Accepted (\S+) for (.*) from (\S+) port (\d+)(?: ssh\d?)?(?:: (\S+) (\S+))?
      if (!at(d, ms, e, L_ACCEPTED)) return false;
      const a = ms + 9;
      const mi = space(u, a, e);
      if (mi <= a || !at(d, mi, e, L_FOR)) return false;
      const u0 = mi + 5;
      // greedy `(.*)`: the last ` from `, as for Failed
      const fi = lastFrom(u, d, e - 14, u0, e);
      if (fi < 0) return false;
      const is = fi + 6;
      const ie = space(u, is, e);
      if (ie <= is || ie + 6 >= e || !at(d, ie, e, L_PORT) || !isDigit(u, ie + 6)) return false;
      let r = ie + 7;
      while (r < e && isDigit(u, r)) r++;
      if (at(d, r, e, L_SP_SSH)) {
        r += 4;
        if (r < e && isDigit(u, r)) r++;
      }
      // `: (\S+) (\S+)`: the key type, a space, then a non-empty run; else no fingerprint
      let fs = -1;
      let fe = -1;
      if (at(d, r, e, L_COLON_SP)) {
        const k0 = r + 2;
        const k1 = space(u, k0, e);
        if (k1 > k0 && k1 + 1 < e && u[k1 + 1] !== 32) {
          fs = k1 + 1;
          fe = space(u, fs, e);
          if (fe < 0) fe = e;
        }
      }
      this.common(p, e, hs, he, ts, K_ACCEPTED, true);
      addAccepted(this.stats, this.ips.get(this.b, d, is, ie), this.users.get(this.b, d, u0, fi), this.words.get(this.b, d, a, mi), undefined, ts, this.b, p, e, true, fs, fe);
      return true;
    }
    if (c === 73 /* I */) {
      // RE_INVALID: ^(?:Invalid|Illegal) user (.*?) from (\S+?)(?: port (\d+))?\s*$
      if (!at(d, ms, e, L_INVALID_USER_MSG) && !at(d, ms, e, L_ILLEGAL_USER_MSG)) return false;
      const u0 = ms + 13;
      // lazy `(.*?)`: the first ` from `; if what follows does not fit, the regex would look further
      const fi = firstFrom(u, d, u0, e - 7, e);
      if (fi < 0) return false;
      const is = fi + 6;
      let ie = space(u, is, e);
      if (ie < 0) ie = e;
      if (ie === is) return false;
      let r = ie;
      if (r + 6 < e && at(d, r, e, L_PORT) && isDigit(u, r + 6)) {
        r += 6;
        while (r < e && isDigit(u, r)) r++;
      }
      while (r < e && u[r] === 32) r++;
      if (r !== e) return false;
      this.common(p, e, hs, he, ts, K_INVALID, true);
      this.failure('ssh.invalid-user', is, ie, u0, fi, true, pid, ts, p, e);
      return true;
    }
    if (c === 68 /* D */ || c === 67 /* C */) {
      // closed(): RE_CLOSED on the message without ` [preauth]`; `Disconnected from user …` is RE_DISC_USER's
      let a: number;
      if (at(d, ms, e, L_DISCONNECTED)) {
        if (at(d, ms + 18, e, L_USER)) return false;
        a = ms + 18;
      } else if (at(d, ms, e, L_CLOSED)) a = ms + 21;
      else if (at(d, ms, e, L_RESET)) a = ms + 20;
      else return false;
      const preauth = at(d, e - 10, e, L_SP_PREAUTH);
      if (!preauth && at(d, e - 9, e, L_PREAUTH)) return false;
      const se = preauth ? e - 10 : e;
      // `(?:(authenticating|invalid) user (.*) )?(\S+) port (\d+)$`
      let u0 = -1;
      if (at(d, a, e, L_AUTHENTICATING_USER)) u0 = a + 20;
      else if (at(d, a, e, L_INVALID_USER)) u0 = a + 13;
      const pi = lastPort(u, d, se - 7, a, e);
      if (pi < 0) return false;
      for (let i = pi + 6; i < se; i++) if (!isDigit(u, i)) return false;
      let si = pi - 1;
      while (u[si] !== 32) si--;
      if (si + 1 >= pi) return false;
      if (u0 >= 0 ? si < u0 : si !== a - 1) return false;
      if (u0 >= 0 || preauth) {
        this.common(p, e, hs, he, ts, K_PREAUTH, true);
        ipStats(this.stats, this.ips.get(this.b, d, si + 1, pi), ts, true).disconnects++;
      } else this.common(p, e, hs, he, ts, K_LOGOUT, true);
      return true;
    }
    if (c === 82 /* R */) {
      // RE_RECEIVED; after a login (no `[preauth]`) a logout
      const m = this.b.toString('latin1', ms, e);
      const r = RE_RECEIVED.exec(m);
      if (!r) return false;
      if (m.endsWith('[preauth]')) {
        this.common(p, e, hs, he, ts, K_PREAUTH, true);
        ipStats(this.stats, canonAddr(r[1]!), ts).disconnects++;
      } else this.common(p, e, hs, he, ts, K_LOGOUT, true);
      return true;
    }
    if (c === 101 /* e */) {
      const r = RE_MAXAUTH.exec(this.b.toString('latin1', ms, e));
      if (!r) return false;
      this.common(p, e, hs, he, ts, K_MAX, true);
      ipStats(this.stats, canonAddr(r[3]!), ts).maxAttempts++;
      return true;
    }
    if (c === 98 /* b */) {
      if (!at(d, ms, e, L_BANNER)) return false;
      this.common(p, e, hs, he, ts, K_PREAUTH, true);
      const a = RE_ADDR_PORT.exec(this.b.toString('latin1', ms, e));
      if (a) ipStats(this.stats, canonAddr(a[1]!), ts).disconnects++;
      return true;
    }
    if (c === 112 /* p */) {
      // sshd()'s `p` branch: pam_unix sessions, failures and `check pass; user unknown`, other modules
      // `notice`. `authentication failure` lines differ by address (rhost=): matched here, not remembered
      kind = pamFail(u, d, ms, e) ? K_PAM_FAIL : this.memo(ms, e, true);
      // while the input has no sshd attempt line of its own, PAM's failures are kept (addEvent): the full way
      if ((kind === K_PAM_FAIL || kind === K_PAM_UNKNOWN) && this.stats.srcSshdAttempts === 0) return false;
      this.common(p, e, hs, he, ts, kind, true);
      return true;
    }
    return false;
  }

  /**
   * sudo(): `USER : [REASON ; ]TTY=… ; PWD=… ; USER=… ; […]COMMAND=…`. The user is the trimmed text
   * before the first ` : ` (one word, else the full parser); the parts before `COMMAND=`, split at
   * ` ; ` and trimmed, make a refusal (sudo.failed) when one is not `KEY=…` with KEY in A–Z.
   */
  private sudo(p: number, e: number, hs: number, he: number, ts: number, ms: number): boolean {
    const u = this.u;
    const d = this.d;
    // `pam_…(sudo:…): …` of other modules: the full parser's
    if (at(d, ms, e, L_PAM)) return false;
    let sep = ms;
    while (sep + 3 <= e && !(u[sep] === 32 && u[sep + 1] === 58 && u[sep + 2] === 32)) sep++;
    if (sep + 3 > e) return false;
    let w0 = ms;
    let w1 = sep;
    while (w0 < w1 && u[w0] === 32) w0++;
    while (w1 > w0 && u[w1 - 1] === 32) w1--;
    if (w0 === w1 || space(u, w0, w1) >= 0) return false;
    const r0 = sep + 3;
    let ci = r0;
    while (ci + 8 <= e && !(u[ci] === 67 && at(d, ci, e, L_COMMAND))) ci++;
    const he2 = ci + 8 <= e ? ci : e;
    let failed = false;
    // head.split(' ; '), each part trimmed
    for (let s0 = r0; s0 <= he2 && !failed; ) {
      let s1 = s0;
      while (s1 + 3 <= he2 && !(u[s1] === 32 && u[s1 + 1] === 59 && u[s1 + 2] === 32)) s1++;
      if (s1 + 3 > he2) s1 = he2;
      let t0 = s0;
      let t1 = s1;
      while (t0 < t1 && u[t0] === 32) t0++;
      while (t1 > t0 && u[t1 - 1] === 32) t1--;
      if (t0 < t1) {
        let eq = t0;
        while (eq < t1 && u[eq] !== 61) eq++;
        // key = kv.slice(0, eq) when eq > 0: it must be [A-Z]+
        if (eq === t1 || eq === t0) failed = true;
        else for (let i = t0; i < eq; i++) if (u[i]! < 65 || u[i]! > 90) failed = true;
      }
      s0 = s1 + 3;
    }
    const command = he2 < e ? this.words.get(this.b, d, he2 + 8, e) : undefined;
    this.common(p, e, hs, he, ts, failed ? K_SUDO_FAILED : K_SUDO_COMMAND, true);
    addSudo(this.stats, failed, this.users.get(this.b, d, w0, w1), command, ts, this.b, p, e, true);
    return true;
  }

  /**
   * addFailure with the interned address and user; `pairs` remembers (address, user) pairs known to
   * be in both the address's set of users and the user's set of addresses, so that addFailure can
   * skip the two Set lookups (the sets only grow, so a pair once in stays in).
   */
  private failure(kind: 'ssh.failed' | 'ssh.invalid-user', is: number, ie: number, us: number, ue: number, invalid: boolean, pid: number, ts: number, p: number, e: number): void {
    const d = this.d;
    const ip = this.ips.get(this.b, d, is, ie);
    const ipId = this.ips.id;
    const user = this.users.get(this.b, d, us, ue);
    const userId = this.users.id;
    const slot = (Math.imul(ipId, 0x9e3779b1) ^ Math.imul(userId, 0x85ebca6b)) >>> (32 - PAIR_BITS);
    const known = ipId !== 0 && userId !== 0 && this.pairIp[slot] === ipId && this.pairUser[slot] === userId;
    this.stats.srcSshdAttempts++;
    if (addFailure(this.stats, this.opts, kind, ip, user, invalid, pid, ts, this.b, p, e, true, known) && !known && ipId !== 0 && userId !== 0) {
      this.pairIp[slot] = ipId;
      this.pairUser[slot] = userId;
    }
  }

  /**
   * The kind of a `pam_…` message as the full parser finds it (parseMessage itself, so the two never
   * differ): for sshd any kind; for CRON and sudo only a session (-1: the full way, which keeps the
   * event's fields). The answer reads only the message, so the one for a message seen a moment ago
   * is reused (CRON and `check pass; user unknown` lines repeat word for word).
   */
  private memo(ms: number, e: number, sshd: boolean): number {
    const keys = sshd ? this.sshdMsgs : this.cronMsgs;
    const kinds = sshd ? this.sshdKinds : this.cronKinds;
    const n = e - ms;
    const d = this.d;
    // from the last hit on: the same message tends to come again soon
    const h = sshd ? this.sshdHit : this.cronHit;
    for (let j = 0; j < MEMO; j++) {
      const i = (h + j) % MEMO;
      const k = keys[i]!;
      if (k.n === n && at(d, ms, e, k)) {
        if (sshd) this.sshdHit = i;
        else this.cronHit = i;
        return kinds[i]!;
      }
    }
    const m = this.b.toString('latin1', ms, e);
    const ev = parseMessage(0, '', sshd ? 'sshd' : 'CRON', undefined, m, m);
    let kind = ev ? kindIndex(ev.kind) : -1;
    if (!sshd && kind !== K_SESSION_OPENED && kind !== K_SESSION_CLOSED) kind = -1;
    if (n <= 160) {
      const i = sshd ? this.sshdNext++ % MEMO : this.cronNext++ % MEMO;
      keys[i] = lit(m);
      kinds[i] = kind;
    }
    return kind;
  }

  /** What addEvent does for every event before its per-kind part; `auth`: a line of sshd or sudo. */
  private common(p: number, e: number, hs: number, he: number, ts: number, kind: number, auth: boolean): void {
    const s = this.stats;
    s.lines++;
    s.events++;
    if (ts < s.dataStart) s.dataStart = ts;
    if (auth) {
      s.authLines++;
      if (kind === K_OTHER) s.authUnknown++;
    }
    this.counts[kind]!++;
    if (ts < s.first) s.first = ts;
    if (ts > s.last) s.last = ts;
    // the full parser may have changed lastHost in between
    if (this.hostStr !== s.lastHost) {
      this.hostStr = s.lastHost;
      this.hostLit = lit(s.lastHost);
    }
    if (!(he - hs === this.hostLit.n && at(this.d, hs, he, this.hostLit)) && s.hosts.size < 100) {
      s.lastHost = this.b.toString('latin1', hs, he);
      s.hosts.add(s.lastHost);
      this.hostStr = s.lastHost;
      this.hostLit = lit(s.lastHost);
    }
    if (this.opts.tail > 0) addRawLine(s, this.b.toString('latin1', p, e), this.opts);
  }
}


/**
 * A string to compare bytes with: its characters as Latin-1 bytes in a DataView. A string with a
 * character above U+00FF never equals bytes (`n` is -1); 128–255 never occur in the ASCII text.
 */
interface Lit {
  n: number;
  d: DataView;
}

function lit(s: string): Lit {
  const b = new Uint8Array(Math.max(s.length, 1));
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) return { n: -1, d: new DataView(b.buffer) };
    b[i] = c;
  }
  return { n: s.length, d: new DataView(b.buffer) };
}

/** Whether the bytes at `i` (within [i, e)) are `k`; four at a time. */
function at(d: DataView, i: number, e: number, k: Lit): boolean {
  const n = k.n;
  if (n < 0 || i < 0 || i + n > e) return false;
  const kd = k.d;
  let j = 0;
  for (; j + 4 <= n; j += 4) if (d.getUint32(i + j, true) !== kd.getUint32(j, true)) return false;
  for (; j < n; j++) if (d.getUint8(i + j) !== kd.getUint8(j)) return false;
  return true;
}

/**
 * Strings cut from the bytes, one copy per distinct value: a direct-mapped cache keyed by a hash of
 * the last bytes, so that a repeated address or user is neither decoded nor hashed again and the
 * stats maps (which keep these very strings) find it by identity. A collision replaces the slot.
 */
class Interner {
  /** @param canon the spelling kept for the bytes (canonAddr for addresses): applied once per new value */
  constructor(private readonly canon?: (s: string) => string) {}
  private readonly keys: string[] = Array<string>(INTERN).fill('');
  private readonly lits: Lit[] = Array<Lit>(INTERN).fill(lit(''));
  private readonly ids = new Int32Array(INTERN);
  private nextId = 1;
  /** a number for the string `get` returned last, never reused; 0 when it was not cached */
  id = 0;

  get(b: Buffer, d: DataView, a: number, e: number): string {
    const n = e - a;
    let h = n;
    for (let i = e - 1, lo = Math.max(a, e - 12); i >= lo; i--) h = Math.imul(h ^ d.getUint8(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    const slot = (h ^ (h >>> 13)) & (INTERN - 1);
    const lits = this.lits;
    const keys = this.keys;
    const ids = this.ids;
    const k = lits[slot]!;
    if (k.n === n && at(d, a, e, k)) {
      this.id = ids[slot]!;
      return keys[slot]!;
    }
    // two ways: the slot's previous value waits in its neighbour, so two busy colliding values do not evict each other
    const alt = slot ^ 1;
    const k2 = lits[alt]!;
    if (k2.n === n && at(d, a, e, k2)) {
      this.id = ids[alt]!;
      return keys[alt]!;
    }
    const raw = b.toString('latin1', a, e);
    const s = this.canon ? this.canon(raw) : raw;
    this.id = 0;
    if (n <= 64 && this.nextId < 0x7fffffff) {
      lits[alt] = k;
      keys[alt] = keys[slot]!;
      ids[alt] = ids[slot]!;
      keys[slot] = s;
      lits[slot] = lit(raw);
      this.id = ids[slot] = this.nextId++;
    }
    return s;
  }
}
const INTERN = 8192;
/** (address, user) pairs remembered: 2^14, direct-mapped */
const PAIR_BITS = 14;

const kindIndex = (k: EventKind): number => EVENT_KINDS.indexOf(k);
const K_FAILED = kindIndex('ssh.failed');
const K_INVALID = kindIndex('ssh.invalid-user');
const K_ACCEPTED = kindIndex('ssh.accepted');
const K_SUDO_COMMAND = kindIndex('sudo.command');
const K_SUDO_FAILED = kindIndex('sudo.failed');
const K_PREAUTH = kindIndex('ssh.preauth-disconnect');
const K_LOGOUT = kindIndex('ssh.logout');
const K_PAM_FAIL = kindIndex('pam.auth-failure');
const K_SESSION_OPENED = kindIndex('session.opened');
const K_SESSION_CLOSED = kindIndex('session.closed');
const K_OTHER = kindIndex('other');
const K_PAM_UNKNOWN = kindIndex('pam.user-unknown');
const K_MAX = kindIndex('ssh.max-attempts');
const K_LOGIND = kindIndex('logind.session');

/** Pam messages remembered per program family. */
const MEMO = 8;

const L_SSHD = lit('sshd[');
const L_SSHD_SESSION = lit('sshd-session[');
const L_CRON = lit('CRON[');
const L_SUDO_PAM = lit('sudo: pam_unix(');
const L_LOGIND = lit('systemd-logind[');
const L_SUDO = lit('sudo: ');
const L_COMMAND = lit('COMMAND=');
const L_PID_END = lit(']: ');
const L_FAILED = lit('Failed ');
const L_ACCEPTED = lit('Accepted ');
const L_SP_SSH = lit(' ssh');
const L_COLON_SP = lit(': ');
const L_FOR = lit(' for ');
const L_INVALID_USER = lit('invalid user ');
const L_ILLEGAL_USER = lit('illegal user ');
const L_INVALID_USER_MSG = lit('Invalid user ');
const L_ILLEGAL_USER_MSG = lit('Illegal user ');
const L_PORT = lit(' port ');
const L_FROM = lit(' from ');
const L_DISCONNECTED = lit('Disconnected from ');
const L_USER = lit('user ');
const L_CLOSED = lit('Connection closed by ');
const L_RESET = lit('Connection reset by ');
const L_SP_PREAUTH = lit(' [preauth]');
const L_PREAUTH = lit('[preauth]');
const L_AUTHENTICATING_USER = lit('authenticating user ');
const L_BANNER = lit('banner exchange:');
const L_PAM_UNIX = lit('pam_unix(');
const L_PAM = lit('pam_');
const L_AUTH_FAILURE = lit(':auth): authentication failure;');
const L_RHOST = lit(' rhost=');
const L_USER_EQ = lit('user=');

/**
 * The usual shape of sshd's PAM failure, `pam_unix(SERVICE:auth): authentication failure; … rhost=…
 * user=…`, matched from the bytes (the full parser reads it as `pam.auth-failure`, like every
 * `authentication failure;` message of pam_unix; the other shapes go through memo()). With ' ' the
 * only whitespace: some ` rhost=` after the `;` whose run of non-spaces is followed by spaces and `user=`.
 */
function pamFail(u: Uint8Array, d: DataView, ms: number, e: number): boolean {
  if (!at(d, ms, e, L_PAM_UNIX)) return false;
  let j = ms + 9;
  while (j < e && u[j] !== 58 && u[j] !== 41) j++;
  if (j === ms + 9 || j >= e || u[j] !== 58 || !at(d, j, e, L_AUTH_FAILURE)) return false;
  for (let x = j + L_AUTH_FAILURE.n; x + 7 <= e; x++) {
    if (u[x] !== 32 || u[x + 1] !== 114 || !at(d, x, e, L_RHOST)) continue;
    let y = x + 7;
    while (y < e && u[y] !== 32) y++;
    if (y >= e) return false;
    while (y < e && u[y] === 32) y++;
    if (at(d, y, e, L_USER_EQ)) return true;
  }
  return false;
}

/** First ' ' in [i, e), or -1. */
function space(u: Uint8Array, i: number, e: number): number {
  for (; i < e; i++) if (u[i] === 32) return i;
  return -1;
}

/** Last ` from ` starting in [lo, hi], or -1. */
function lastFrom(u: Uint8Array, d: DataView, hi: number, lo: number, e: number): number {
  for (let i = hi; i >= lo; i--) if (u[i + 1] === 102 && u[i] === 32 && at(d, i, e, L_FROM)) return i;
  return -1;
}

/** First ` from ` starting in [lo, hi], or -1. */
function firstFrom(u: Uint8Array, d: DataView, lo: number, hi: number, e: number): number {
  for (let i = lo; i <= hi; i++) if (u[i + 1] === 102 && u[i] === 32 && at(d, i, e, L_FROM)) return i;
  return -1;
}

/** Last ` port ` starting in [lo, hi], or -1. */
function lastPort(u: Uint8Array, d: DataView, hi: number, lo: number, e: number): number {
  for (let i = hi; i >= lo; i--) if (u[i + 1] === 112 && u[i] === 32 && at(d, i, e, L_PORT)) return i;
  return -1;
}

function isDigit(u: Uint8Array, i: number): boolean {
  const c = u[i]!;
  return c >= 48 && c <= 57;
}
