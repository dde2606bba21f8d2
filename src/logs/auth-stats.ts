import { canonicalIp } from '../core/ip.js';
import type { AuthEvent, EventKind } from './auth-event.js';
import { isSshd } from './auth-parse.js';

/**
 * What a pass over the logs keeps: counters and maps bounded by the number of distinct addresses,
 * users and logins, never by the number of lines, so memory stays flat in file size. Plain data
 * (Maps, Sets, arrays) so that a worker thread can post it back and `mergeStats` can add two up.
 */

export interface StatsOptions {
  since?: number;
  until?: number;
  ip?: string;
  user?: string;
  /** failures from one address within `bruteWindowMs` that make a brute force */
  bruteThreshold: number;
  bruteWindowMs: number;
  /** keep the last N lines matching the hardening guide's `grep -i 'failed\|invalid'` */
  tail: number;
  /**
   * This pass reads a part of a file that starts after another part (a worker's byte range): keep
   * the lines of each address's first failures (see IpStats.head) for the merge.
   */
  seam?: boolean;
}

export interface IpStats {
  ip: string;
  failures: number;
  invalidUsers: number;
  users: Set<string>;
  /** distinct users past the cap of `users` */
  usersOverflow: number;
  firstFail: number;
  lastFail: number;
  firstSeen: number;
  lastSeen: number;
  accepted: number;
  disconnects: number;
  maxAttempts: number;
  /** timestamps of the last `bruteThreshold` failures (a sliding window) */
  ring: number[];
  /** first time the address reached the brute-force threshold within the window */
  bruteAt: number;
  /** the line that crossed the threshold */
  bruteLine?: string;
  sampleLine?: string;
  /**
   * Timestamps of the first `bruteThreshold - 1` failures of this pass: a window that starts in the
   * part before (its `ring`) and ends on one of them is found only when the parts are merged.
   */
  head: number[];
  /** with `seam`: their lines, or '' past the first `bruteWindowMs` of the part (only an out-of-order log needs those) */
  headLines: string[];
}

export interface UserStats {
  user: string;
  failures: number;
  invalid: boolean;
  ips: Set<string>;
  ipsOverflow: number;
  firstFail: number;
  lastFail: number;
  accepted: number;
}

export interface LoginStats {
  user: string;
  ip: string;
  method: string;
  count: number;
  first: number;
  last: number;
  fingerprints: string[];
  line: string;
}

export interface SudoStats {
  user: string;
  count: number;
  failures: number;
  first: number;
  last: number;
  commands: Map<string, number>;
  firstLine: string;
}

export interface SuStats {
  user: string;
  targetUser: string;
  count: number;
  failures: number;
  first: number;
  last: number;
}

export interface AccountChange {
  ts: number;
  program: string;
  user?: string;
  detail: string;
  line: string;
}

export interface HourBucket {
  failures: number;
  accepted: number;
}

export interface AuthStats {
  lines: number;
  /** lines without a syslog header or JSON record */
  unparsed: number;
  /** lines of the programs that ir reads (sshd, sudo, su…) */
  events: number;
  /** events outside --since/--until or the --ip/--user filter */
  filtered: number;
  /** lines of auth programs (sshd, sudo, su, login, PAM in the name) inside the window */
  authLines: number;
  /** of those, the lines no pattern recognised (kind `other`) */
  authUnknown: number;
  byKind: Map<EventKind, number>;
  first: number;
  last: number;
  /** first time of any line, inside the window or not (the sudo baseline starts there) */
  dataStart: number;
  hosts: Set<string>;
  ips: Map<string, IpStats>;
  users: Map<string, UserStats>;
  logins: Map<string, LoginStats>;
  sudo: Map<string, SudoStats>;
  /** accounts that ran sudo before the window (--since): they are not new sudoers */
  sudoBefore: Set<string>;
  su: Map<string, SuStats>;
  accountChanges: AccountChange[];
  /** hour index (epoch ms / 3600000) → counts */
  hours: Map<number, HourBucket>;
  tail: string[];
  /** sshd pids whose `Invalid user` line was counted, so that its first `Failed … invalid user` is not counted again */
  pendingInvalid: Map<number, string>;
  /**
   * The input being read (reset by endSource): sshd's own attempt lines (`Failed …`, `Invalid user …`)
   * in it, and the failures its PAM lines tell of while it has none. sshd writes its own line for
   * every attempt PAM fails, so PAM's count only where sshd's are absent: the `messages` of an old
   * Red Hat (pam_unix wrote `sshd(pam_unix)[PID]:` to LOG_AUTH, sshd to `secure`).
   */
  srcSshdAttempts: number;
  pamFail: AuthStats | null;
  /** pids whose PAM said `check pass; user unknown` (their next PAM failure is an invalid user) while the input has no sshd attempt */
  pamUnknown: Set<number>;
  lastHost: string;
  lastHour: number;
  lastBucket: HourBucket | null;
}

const SET_CAP = 1000;
const COMMAND_CAP = 20;
const ACCOUNT_CAP = 1000;
const FP_CAP = 5;
const HOUR = 3_600_000;

export function newStats(): AuthStats {
  return {
    lines: 0,
    unparsed: 0,
    events: 0,
    filtered: 0,
    authLines: 0,
    authUnknown: 0,
    byKind: new Map(),
    first: Infinity,
    last: -Infinity,
    dataStart: Infinity,
    hosts: new Set(),
    ips: new Map(),
    users: new Map(),
    logins: new Map(),
    sudo: new Map(),
    sudoBefore: new Set(),
    su: new Map(),
    accountChanges: [],
    hours: new Map(),
    tail: [],
    pendingInvalid: new Map(),
    srcSshdAttempts: 0,
    pamFail: null,
    pamUnknown: new Set(),
    lastHost: '',
    lastHour: -1,
    lastBucket: null,
  };
}

/**
 * The one spelling of an address (core/ip.ts: IPv4-mapped as IPv4, IPv6 lower case and compressed);
 * a host name (`rhost=` of PAM, UseDNS) is kept as written and never resolved. IPv4 as sshd writes
 * it is already canonical: only text with a `:` is parsed.
 */
export function canonAddr(ip: string): string {
  return ip.indexOf(':') < 0 ? ip : (canonicalIp(ip) ?? ip);
}

/** `203.0.113.0/24` or `2001:db8:1:2::/64`: the neighbourhood a success is checked against. */
export function subnetOf(ip: string): string | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (!ip.includes(':')) return null;
  const full = expandV6(ip.replace(/^::ffff:(?=\d+\.)/i, ''));
  if (!full) return null;
  return `${full.slice(0, 4).map((h) => h.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

function expandV6(ip: string): string[] | null {
  const [a, b] = ip.split('::');
  const head = a ? a.split(':') : [];
  const tail = b !== undefined && b !== '' ? b.split(':') : [];
  if (ip.includes('::')) {
    const fill = 8 - head.length - tail.length;
    if (fill < 0) return null;
    return [...head, ...Array<string>(fill).fill('0'), ...tail];
  }
  return head.length === 8 ? head : null;
}

/** @param owned `ip` is already a detached string that may be kept as it is (the fast path's interned strings) */
export function ipStats(s: AuthStats, ip: string, ts: number, owned = false): IpStats {
  let r = s.ips.get(ip);
  if (!r) {
    if (!owned) ip = detach(ip);
    r = { ip, failures: 0, invalidUsers: 0, users: new Set(), usersOverflow: 0, firstFail: Infinity, lastFail: -Infinity, firstSeen: ts, lastSeen: ts, accepted: 0, disconnects: 0, maxAttempts: 0, ring: [], bruteAt: Infinity, bruteLine: undefined, sampleLine: undefined, head: [], headLines: [] };
    s.ips.set(ip, r);
  }
  if (ts < r.firstSeen) r.firstSeen = ts;
  if (ts > r.lastSeen) r.lastSeen = ts;
  return r;
}

function userStats(s: AuthStats, user: string, owned = false): UserStats {
  let r = s.users.get(user);
  if (!r) {
    if (!owned) user = detach(user);
    r = { user, failures: 0, invalid: false, ips: new Set(), ipsOverflow: 0, firstFail: Infinity, lastFail: -Infinity, accepted: 0 };
    s.users.set(user, r);
  }
  return r;
}

function hour(s: AuthStats, ts: number): HourBucket {
  const h = Math.floor(ts / HOUR);
  if (h === s.lastHour && s.lastBucket) return s.lastBucket;
  let b = s.hours.get(h);
  if (!b) {
    b = { failures: 0, accepted: 0 };
    s.hours.set(h, b);
  }
  s.lastHour = h;
  s.lastBucket = b;
  return b;
}

/** First failure per /24 (IPv4) or /64 (IPv6), from the per-address stats. */
export function subnetFirstFailures(s: AuthStats): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of s.ips.values()) {
    if (r.failures === 0) continue;
    const net = subnetOf(r.ip);
    if (!net) continue;
    const f = m.get(net);
    if (f === undefined || r.firstFail < f) m.set(net, r.firstFail);
  }
  return m;
}

const TAIL_RE = /failed|invalid/i;

/**
 * A copy that does not share memory with the decoded chunk: V8 substrings (and regex captures)
 * keep their whole 1 MiB parent alive, so every string kept past the line is detached first.
 */
export function detach(s: string): string;
export function detach(s: string | undefined): string | undefined;
export function detach(s: string | undefined): string | undefined {
  return s === undefined ? undefined : (' ' + s).slice(1);
}

/** Adds one line that had no event (other programs) for --tail (the hardening guide's `grep | tail`). */
export function addRawLine(s: AuthStats, raw: string, o: StatsOptions): void {
  if (o.tail > 0 && TAIL_RE.test(raw)) pushTail(s, raw, o.tail);
}

function pushTail(s: AuthStats, raw: string, n: number): void {
  s.tail.push(detach(raw));
  if (s.tail.length > n * 2) s.tail.splice(0, s.tail.length - n);
}

/**
 * Adds one event (rsyslog's `message repeated N times` as N); false when it is outside the window or
 * filter. Failures are counted once per attempt: see `pendingInvalid` and `srcSshdAttempts`.
 * The address is made canonical in the event itself (the timeline writes it so).
 */
export function addEvent(s: AuthStats, e: AuthEvent, o: StatsOptions): boolean {
  s.events++;
  const ts = e.ts;
  if (ts < s.dataStart) s.dataStart = ts;
  if ((o.since !== undefined && ts < o.since) || (o.until !== undefined && ts > o.until)) {
    if (e.kind === 'sudo.command' && e.user && o.since !== undefined && ts < o.since) s.sudoBefore.add(e.user);
    s.filtered++;
    return false;
  }
  if (e.auth) {
    s.authLines++;
    if (e.kind === 'other') s.authUnknown++;
  }
  if (e.ip !== undefined) e.ip = canonAddr(e.ip);
  if ((e.kind === 'ssh.failed' || e.kind === 'ssh.invalid-user') && e.ip !== undefined) s.srcSshdAttempts += e.repeat ?? 1;
  if ((o.ip !== undefined && e.ip !== o.ip) || (o.user !== undefined && e.user !== o.user && e.targetUser !== o.user)) {
    s.filtered++;
    return false;
  }
  if (ts < s.first) s.first = ts;
  if (ts > s.last) s.last = ts;
  if (e.host !== s.lastHost && s.hosts.size < 100) {
    s.lastHost = detach(e.host);
    s.hosts.add(s.lastHost);
  }
  if (o.tail > 0 && TAIL_RE.test(e.raw)) pushTail(s, e.raw, o.tail);
  const n = e.repeat ?? 1;
  for (let i = 0; i < n; i++) countEvent(s, e, o);
  return true;
}

/** The per-kind part of addEvent, once per time the event happened. */
function countEvent(s: AuthStats, e: AuthEvent, o: StatsOptions): boolean {
  const ts = e.ts;
  s.byKind.set(e.kind, (s.byKind.get(e.kind) ?? 0) + 1);
  switch (e.kind) {
    case 'ssh.invalid-user':
    case 'ssh.failed':
      if (e.ip) addFailure(s, o, e.kind, e.ip, e.user ?? '', e.invalidUser === true, e.pid, ts, e.raw, 0, e.raw.length);
      return true;
    case 'ssh.accepted':
      if (e.ip) addAccepted(s, e.ip, e.user ?? '', e.method ?? '?', e.fingerprint, ts, e.raw, 0, e.raw.length);
      return true;
    case 'ssh.preauth-disconnect':
      if (e.ip) ipStats(s, e.ip, ts).disconnects++;
      return true;
    case 'ssh.max-attempts':
      if (e.ip) ipStats(s, e.ip, ts).maxAttempts++;
      return true;
    case 'sudo.command':
    case 'sudo.failed':
      if (e.user) addSudo(s, e.kind === 'sudo.failed', e.user, e.command, ts, e.raw, 0, e.raw.length);
      return true;
    case 'su.session':
    case 'su.failed': {
      const key = `${e.user ?? '?'}\0${e.targetUser ?? '?'}`;
      let r = s.su.get(key);
      if (!r) {
        r = { user: detach(e.user ?? '?'), targetUser: detach(e.targetUser ?? '?'), count: 0, failures: 0, first: ts, last: ts };
        s.su.set(detach(key), r);
      }
      if (e.kind === 'su.failed') r.failures++;
      else r.count++;
      if (ts < r.first) r.first = ts;
      if (ts > r.last) r.last = ts;
      return true;
    }
    case 'account.change':
      if (s.accountChanges.length < ACCOUNT_CAP) s.accountChanges.push({ ts, program: detach(e.program), user: detach(e.user), detail: detach(e.detail ?? e.message), line: detach(e.raw) });
      return true;
    case 'pam.auth-failure':
      if (e.ip !== undefined && s.srcSshdAttempts === 0 && isSshd(e.program)) addPamFailure(s, o, e);
      return true;
    case 'pam.user-unknown':
      if (e.pid !== undefined && s.srcSshdAttempts === 0) {
        if (s.pamUnknown.size > 10_000) s.pamUnknown.clear();
        s.pamUnknown.add(e.pid);
      }
      return true;
    default:
      return true;
  }
}

/**
 * A failure PAM logged for sshd (with its `rhost=`), kept aside in `pamFail` while the input has no
 * sshd attempt line of its own: endSource adds them when it still has none at its end.
 */
function addPamFailure(s: AuthStats, o: StatsOptions, e: AuthEvent): void {
  const p = (s.pamFail ??= newStats());
  const unknown = e.pid !== undefined && s.pamUnknown.has(e.pid);
  const invalid = e.invalidUser === true || (e.user === undefined && unknown);
  if (e.user !== undefined && unknown) s.pamUnknown.delete(e.pid!);
  const n = e.attempts ?? 1;
  for (let i = 0; i < n; i++) addFailure(p, o, 'ssh.failed', e.ip!, e.user, invalid, undefined, e.ts, e.raw, 0, e.raw.length);
}

/**
 * The end of one input (a file, stdin, the journal): its PAM failures are added when sshd wrote no
 * attempt line of its own in it (they are the same attempts otherwise). Returns how many were added.
 */
export function endSource(s: AuthStats, o: StatsOptions): number {
  const pam = s.pamFail;
  let n = 0;
  if (pam && s.srcSshdAttempts === 0) {
    for (const r of pam.ips.values()) n += r.failures;
    mergeStats(s, pam, o.tail);
  }
  s.pamFail = null;
  s.srcSshdAttempts = 0;
  s.pamUnknown.clear();
  return n;
}

/** One sudo command (or a refusal: `failed`); the fast path calls it too, as addAccepted. */
export function addSudo(s: AuthStats, failed: boolean, user: string, command: string | undefined, ts: number, text: string | Buffer, rs: number, re: number, owned = false): void {
  let r = s.sudo.get(user);
  if (!r) {
    r = { user: owned ? user : detach(user), count: 0, failures: 0, first: ts, last: ts, commands: new Map(), firstLine: cut(text, rs, re) };
    s.sudo.set(r.user, r);
  }
  if (failed) r.failures++;
  else {
    r.count++;
    const cmd = command ?? '';
    const n = r.commands.get(cmd);
    if (n !== undefined) r.commands.set(cmd, n + 1);
    else if (r.commands.size < COMMAND_CAP) r.commands.set(owned ? cmd : detach(cmd), 1);
  }
  if (ts < r.first) {
    r.first = ts;
    r.firstLine = cut(text, rs, re);
  }
  if (ts > r.last) r.last = ts;
}

/**
 * One `Accepted …` login (the fast path calls it too, with the line as bytes [rs, re) of the chunk
 * and interned strings: `owned`; its fingerprint as [fs, fe) of the bytes, cut only when it is kept:
 * key fingerprints rarely repeat).
 */
export function addAccepted(
  s: AuthStats,
  ip: string,
  user: string,
  method: string,
  fingerprint: string | undefined,
  ts: number,
  text: string | Buffer,
  rs: number,
  re: number,
  owned = false,
  fs = -1,
  fe = -1,
): void {
  ipStats(s, ip, ts, owned).accepted++;
  userStats(s, user, owned).accepted++;
  const key = `${user}\0${ip}\0${method}`;
  let l = s.logins.get(key);
  if (!l) {
    l = { user: owned ? user : detach(user), ip: owned ? ip : detach(ip), method: owned ? method : detach(method), count: 0, first: ts, last: ts, fingerprints: [], line: cut(text, rs, re) };
    s.logins.set(detach(key), l);
  }
  l.count++;
  if (ts < l.first) {
    l.first = ts;
    l.line = cut(text, rs, re);
  }
  if (ts > l.last) l.last = ts;
  if (l.fingerprints.length < FP_CAP) {
    const fp = fingerprint ?? (fs >= 0 ? cut(text, fs, fe) : undefined);
    if (fp && !l.fingerprints.includes(fp)) l.fingerprints.push(owned || fingerprint === undefined ? fp : detach(fp));
  }
  hour(s, ts).accepted++;
}

/**
 * One `Failed …` or `Invalid user …` attempt (the fast path in auth-fast.ts calls it too, with the
 * line as bytes [rs, re) of the chunk, decoded only when it is kept). Failures are counted once per attempt:
 * see `pendingInvalid`. With `owned`, `ip` and `user` are detached strings kept as they are (the
 * fast path interns them: the maps then hold the very strings it looks up, compared by identity).
 * With `known`, the caller knows that `user` is in the address's set of users and `ip` in the user's
 * set of addresses already. Returns whether both are in those sets now (false when a set is full).
 */
export function addFailure(
  s: AuthStats,
  o: StatsOptions,
  kind: 'ssh.failed' | 'ssh.invalid-user',
  ip: string,
  /** undefined when the log does not name the account (a PAM failure of an unknown user) */
  user: string | undefined,
  invalid: boolean,
  pid: number | undefined,
  ts: number,
  text: string | Buffer,
  rs: number,
  re: number,
  owned = false,
  known = false,
): boolean {
  if (kind === 'ssh.failed' && invalid && pid !== undefined && s.pendingInvalid.get(pid) === ip) {
    // the `Invalid user` line of this connection already counted this attempt
    s.pendingInvalid.delete(pid);
    ipStats(s, ip, ts, owned);
    return false;
  }
  if (kind === 'ssh.invalid-user' && pid !== undefined) {
    if (s.pendingInvalid.size > 10_000) s.pendingInvalid.clear();
    s.pendingInvalid.set(pid, owned ? ip : detach(ip));
  }
  const r = ipStats(s, ip, ts, owned);
  r.failures++;
  if (invalid) r.invalidUsers++;
  if (ts < r.firstFail) r.firstFail = ts;
  if (ts > r.lastFail) r.lastFail = ts;
  r.sampleLine ??= cut(text, rs, re);
  let both = true;
  if (user !== undefined && !known && !r.users.has(user)) {
    if (r.users.size < SET_CAP) r.users.add(owned ? user : detach(user));
    else {
      r.usersOverflow++;
      both = false;
    }
  }
  // sliding window: the failure `bruteThreshold` back is within the window
  r.ring.push(ts);
  if (r.ring.length > o.bruteThreshold) r.ring.shift();
  if (r.ring.length >= o.bruteThreshold && ts - r.ring[0]! <= o.bruteWindowMs && ts < r.bruteAt) {
    r.bruteAt = ts;
    r.bruteLine = cut(text, rs, re);
  }
  if (r.head.length < o.bruteThreshold - 1) {
    r.head.push(ts);
    // a window across the seam ends within bruteWindowMs of the part's first line when the log is in time order
    if (o.seam) r.headLines.push(ts - s.dataStart <= o.bruteWindowMs ? cut(text, rs, re) : '');
  }
  if (user !== undefined) {
    const u = userStats(s, user, owned);
    u.failures++;
    if (invalid) u.invalid = true;
    if (ts < u.firstFail) u.firstFail = ts;
    if (ts > u.lastFail) u.lastFail = ts;
    if (!known && !u.ips.has(ip)) {
      if (u.ips.size < SET_CAP) u.ips.add(owned ? ip : detach(ip));
      else {
        u.ipsOverflow++;
        both = false;
      }
    }
  }
  hour(s, ts).failures++;
  return both;
}

/** The line [rs, re) of a string or of ASCII bytes, as a string of its own. */
function cut(text: string | Buffer, rs: number, re: number): string {
  return typeof text === 'string' ? detach(text.slice(rs, re)) : text.toString('latin1', rs, re);
}

function unionCapped<T>(a: Set<T>, b: Set<T>): number {
  let over = 0;
  for (const v of b) {
    if (a.has(v)) continue;
    if (a.size < SET_CAP) a.add(v);
    else over++;
  }
  return over;
}

/**
 * Brute-force windows across the seam: y's first failures (`head`) with x's last ones (`ring`), in
 * file order, as addFailure would have seen them in one pass.
 */
function seam(x: IpStats, y: IpStats, o: StatsOptions): void {
  const back = o.bruteThreshold - 1;
  if (back <= 0 || y.head.length === 0 || x.ring.length === 0) return;
  const before = x.ring.slice(-back);
  const nx = before.length;
  for (let j = 0; j < y.head.length; j++) {
    // the failure `back` before y.head[j]: in x while k < nx (from nx on, y's own pass saw the window)
    const k = nx + j - back;
    if (k < 0) continue;
    if (k >= nx) break;
    const ts = y.head[j]!;
    if (ts - before[k]! <= o.bruteWindowMs && ts < x.bruteAt) {
      x.bruteAt = ts;
      x.bruteLine = y.headLines[j] || y.sampleLine;
    }
  }
}

/**
 * Adds `b` into `a` (b's lines come after a's: workers are merged in file order). With `o` (the
 * options both were read with), a brute-force window that starts in `a` and ends in `b` is found
 * as a single pass would find it.
 */
export function mergeStats(a: AuthStats, b: AuthStats, tail: number, o?: StatsOptions): AuthStats {
  a.lines += b.lines;
  a.unparsed += b.unparsed;
  a.events += b.events;
  a.filtered += b.filtered;
  a.authLines += b.authLines;
  a.authUnknown += b.authUnknown;
  for (const [k, v] of b.byKind) a.byKind.set(k, (a.byKind.get(k) ?? 0) + v);
  a.first = Math.min(a.first, b.first);
  a.last = Math.max(a.last, b.last);
  a.dataStart = Math.min(a.dataStart, b.dataStart);
  for (const h of b.hosts) if (a.hosts.size < 100) a.hosts.add(h);
  for (const [ip, y] of b.ips) {
    const x = a.ips.get(ip);
    if (!x) {
      a.ips.set(ip, y);
      continue;
    }
    x.failures += y.failures;
    x.invalidUsers += y.invalidUsers;
    x.usersOverflow += y.usersOverflow + unionCapped(x.users, y.users);
    x.firstFail = Math.min(x.firstFail, y.firstFail);
    x.lastFail = Math.max(x.lastFail, y.lastFail);
    x.firstSeen = Math.min(x.firstSeen, y.firstSeen);
    x.lastSeen = Math.max(x.lastSeen, y.lastSeen);
    x.accepted += y.accepted;
    x.disconnects += y.disconnects;
    x.maxAttempts += y.maxAttempts;
    if (o) seam(x, y, o);
    if (y.bruteAt < x.bruteAt) {
      x.bruteAt = y.bruteAt;
      x.bruteLine = y.bruteLine;
    }
    x.ring = [...x.ring, ...y.ring].slice(-(o?.bruteThreshold ?? Math.max(x.ring.length, y.ring.length, 1)));
    x.sampleLine ??= y.sampleLine;
  }
  for (const [user, y] of b.users) {
    const x = a.users.get(user);
    if (!x) {
      a.users.set(user, y);
      continue;
    }
    x.failures += y.failures;
    x.invalid ||= y.invalid;
    x.ipsOverflow += y.ipsOverflow + unionCapped(x.ips, y.ips);
    x.firstFail = Math.min(x.firstFail, y.firstFail);
    x.lastFail = Math.max(x.lastFail, y.lastFail);
    x.accepted += y.accepted;
  }
  for (const [k, y] of b.logins) {
    const x = a.logins.get(k);
    if (!x) {
      a.logins.set(k, y);
      continue;
    }
    x.count += y.count;
    if (y.first < x.first) {
      x.first = y.first;
      x.line = y.line;
    }
    x.last = Math.max(x.last, y.last);
    for (const f of y.fingerprints) if (x.fingerprints.length < FP_CAP && !x.fingerprints.includes(f)) x.fingerprints.push(f);
  }
  for (const [k, y] of b.sudo) {
    const x = a.sudo.get(k);
    if (!x) {
      a.sudo.set(k, y);
      continue;
    }
    x.count += y.count;
    x.failures += y.failures;
    if (y.first < x.first) {
      x.first = y.first;
      x.firstLine = y.firstLine;
    }
    x.last = Math.max(x.last, y.last);
    for (const [c, n] of y.commands) if (x.commands.has(c) || x.commands.size < COMMAND_CAP) x.commands.set(c, (x.commands.get(c) ?? 0) + n);
  }
  for (const u of b.sudoBefore) a.sudoBefore.add(u);
  for (const [k, y] of b.su) {
    const x = a.su.get(k);
    if (!x) {
      a.su.set(k, y);
      continue;
    }
    x.count += y.count;
    x.failures += y.failures;
    x.first = Math.min(x.first, y.first);
    x.last = Math.max(x.last, y.last);
  }
  for (const c of b.accountChanges) if (a.accountChanges.length < ACCOUNT_CAP) a.accountChanges.push(c);
  for (const [h, y] of b.hours) {
    const x = a.hours.get(h);
    if (!x) a.hours.set(h, { ...y });
    else {
      x.failures += y.failures;
      x.accepted += y.accepted;
    }
  }
  // the state after b's lines is b's (a worker's range started from the lines before it)
  if (o) {
    a.pendingInvalid = b.pendingInvalid;
    a.pamUnknown = b.pamUnknown;
    // the parts of one input: its sshd attempts and PAM failures add up (endSource decides at its end)
    a.srcSshdAttempts += b.srcSshdAttempts;
    if (b.pamFail) a.pamFail = a.pamFail ? mergeStats(a.pamFail, b.pamFail, 0, o) : b.pamFail;
  }
  a.tail = [...a.tail, ...b.tail].slice(-Math.max(tail, 0) || a.tail.length + b.tail.length);
  if (tail === 0) a.tail = [];
  return a;
}
