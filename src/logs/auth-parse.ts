import type { AuthEvent, EventKind } from './auth-event.js';
import type { SyslogClock } from './syslog-time.js';

/**
 * Parses one auth-log line: `[<PRI>]TIMESTAMP HOST [facility.level ]PROGRAM[PID]: MESSAGE`.
 * The header is cut by hand (indexOf, no regex: ten million lines); the message gets at most one
 * regex, chosen by the program and the message's first word. Formats come from OpenSSH's sources
 * (auth.c auth_log(), sshd.c, serverloop.c, packet.c) across 3.x–10.x, sudo 1.8/1.9, util-linux
 * and shadow su, pam_unix, systemd-logind and shadow's useradd/usermod/userdel/passwd.
 */

/** A line longer than this is cut before parsing: a real auth line is under 1 KiB; hostile ones are not. */
export const MAX_LINE = 8192;

const SSHD = new Set(['sshd', 'sshd-session', 'sshd-auth', 'sshd[listener]']);
const ACCOUNT = new Set(['useradd', 'usermod', 'userdel', 'groupadd', 'groupmod', 'groupdel', 'gpasswd', 'passwd', 'chpasswd', 'chage', 'chsh', 'chfn', 'newusers']);
const KNOWN = new Set([...SSHD, ...ACCOUNT, 'sudo', 'su', 'systemd-logind', 'CRON', 'cron', 'crond', 'login', 'systemd']);
/** Programs whose lines are about authentication: a log of them that ir cannot read is an error, never a quiet week. */
const AUTH = new Set([...SSHD, 'sudo', 'su', 'login']);

/** sshd under any of its names (the attempts of a log are sshd's, or PAM's under sshd's name). */
export function isSshd(program: string): boolean {
  return SSHD.has(program);
}

/** A line of this program counts among the auth lines: sshd, sudo, su, login, and PAM in any program name. */
export function isAuthProgram(program: string): boolean {
  return AUTH.has(program) || /pam/i.test(program);
}

/** `sshd(pam_unix)`: the program name pam_unix used before pam_syslog (Linux-PAM < 0.99, RHEL 3–4), and its service. */
const RE_PROG_PAM = /^(.+)\((pam_[A-Za-z0-9_]+)\)$/;

/** Which programs an input is filtered to (journalctl -t arguments, too). */
export const AUTH_PROGRAMS = ['sshd', 'sshd-session', 'sshd-auth', 'sudo', 'su', 'systemd-logind', 'useradd', 'usermod', 'userdel', 'groupadd', 'passwd', 'chpasswd', 'CRON'];

export interface ParseResult {
  event: AuthEvent | null;
  /** false when the line had no readable syslog header (not an error: continuation lines exist) */
  header: boolean;
}

/** Parses a syslog-format line; `null` event for programs that are not about authentication. */
export function parseSyslogLine(line: string, clock: SyslogClock): ParseResult {
  if (line.length > MAX_LINE) line = line.slice(0, MAX_LINE);
  let p = 0;
  if (line.charCodeAt(0) === 60) {
    // `<38>Feb  4 …` as a remote syslog receiver may store it
    const gt = line.indexOf('>');
    if (gt > 0 && gt < 5) p = gt + 1;
  }
  const t = clock.parse(line, p);
  if (!t) return NO_HEADER;
  const hostStart = t.end + 1;
  const hostEnd = line.indexOf(' ', hostStart);
  if (hostEnd < 0) return NO_HEADER;
  let progStart = hostEnd + 1;
  // busybox syslogd and some syslog-ng templates put `authpriv.info` between host and program
  for (let q = progStart; q < progStart + 16; q++) {
    const c = line.charCodeAt(q);
    if (c === 46 /* . */) {
      const sp = line.indexOf(' ', q);
      if (sp > 0 && /^(auth|authpriv|daemon|user|local\d|security|cron|syslog)\.[a-z]+$/.test(line.slice(progStart, sp))) progStart = sp + 1;
      break;
    }
    if (c < 97 || c > 122) break;
  }
  const colon = line.indexOf(': ', progStart);
  if (colon < 0) return NO_HEADER;
  let progEnd = colon;
  let pid: number | undefined;
  if (line.charCodeAt(colon - 1) === 93) {
    const br = line.lastIndexOf('[', colon);
    if (br > progStart) {
      pid = Number(line.slice(br + 1, colon - 1));
      if (!Number.isInteger(pid)) pid = undefined;
      progEnd = br;
    }
  }
  const rawProgram = line.slice(progStart, progEnd);
  let program = rawProgram;
  let legacyPam = false;
  if (rawProgram.charCodeAt(rawProgram.length - 1) === 41 /* ) */) {
    const m = RE_PROG_PAM.exec(rawProgram);
    if (m) {
      program = m[1]!;
      legacyPam = true;
    }
  }
  if (!KNOWN.has(program) && !isAuthProgram(rawProgram)) return { event: null, header: true };
  const host = line.slice(hostStart, hostEnd);
  return { event: parseMessage(t.ts, host, program, pid, line.slice(colon + 2), line, rawProgram, legacyPam), header: true };
}

const NO_HEADER: ParseResult = { event: null, header: false };

/** rsyslog's repeated-message reduction (`$RepeatedMsgReduction on`, Ubuntu's default): `message repeated 3 times: [ MSG]` */
const RE_REPEATED = /^message repeated (\d+) times?: \[ ?(.*?) ?\]$/s;
/** the most times one reduced line is counted (a hostile line must not cost a billion iterations) */
export const MAX_REPEAT = 10_000;

/**
 * The message part, shared by syslog lines and journald records. `rawProgram` is the name as
 * written (`sshd(pam_unix)`: `legacyPam`, the message is pam_unix's text without its prefix).
 */
export function parseMessage(ts: number, host: string, program: string, pid: number | undefined, message: string, raw: string, rawProgram = program, legacyPam = false): AuthEvent | null {
  if (message.length > MAX_LINE) message = message.slice(0, MAX_LINE);
  if (raw.length > MAX_LINE) raw = raw.slice(0, MAX_LINE);
  const auth = isAuthProgram(rawProgram);
  let repeat: number | undefined;
  // Solaris and illumos syslog: `[ID 800047 auth.info] Failed keyboard-interactive for …`
  if (message.charCodeAt(0) === 91 /* [ */ && message.startsWith('[ID ')) {
    const close = message.indexOf('] ');
    if (close > 0 && /^\[ID \d+ [a-z0-9]+\.[a-z]+$/.test(message.slice(0, close))) message = message.slice(close + 2);
  }
  if (message.charCodeAt(0) === 109 /* m */ && message.startsWith('message repeated ')) {
    const r = RE_REPEATED.exec(message);
    if (r) {
      repeat = Math.min(Number(r[1]), MAX_REPEAT);
      message = r[2]!;
    }
  }
  // every field present from the start: one hidden class for all events keeps addEvent monomorphic
  const e: AuthEvent = {
    ts,
    host,
    program,
    pid,
    kind: 'other',
    user: undefined,
    ip: undefined,
    port: undefined,
    method: undefined,
    invalidUser: undefined,
    keyType: undefined,
    fingerprint: undefined,
    command: undefined,
    targetUser: undefined,
    tty: undefined,
    cwd: undefined,
    detail: undefined,
    message,
    raw,
    auth,
    attempts: undefined,
    repeat,
  };
  if (legacyPam) {
    pamText(e, message, program);
    if (e.kind === 'other' && ACCOUNT.has(program)) account(e, message);
  } else if (SSHD.has(program)) sshd(e, message);
  else if (program === 'sudo') sudo(e, message);
  else if (program === 'su') su(e, message);
  else if (program === 'login') login(e, message);
  else if (program === 'systemd-logind') logind(e, message);
  else if (ACCOUNT.has(program)) account(e, message);
  else if (program === 'CRON' || program === 'cron' || program === 'crond' || program === 'systemd') {
    if (!pam(e, message)) return null;
  } else if (auth) {
    // PAM in the program name (`PAM_unix`, `pam_tally2`) or a PAM message of another service
    if (!pam(e, message)) pamText(e, message, program);
  }
  if (e.kind === 'pam.auth-failure' || e.kind === 'pam.user-unknown') {
    // the service's own failure kinds: sudo's and su's PAM failures are theirs
    if (program === 'sudo' && e.kind === 'pam.auth-failure') e.kind = 'sudo.failed';
    else if (program === 'su' && e.kind === 'pam.auth-failure') e.kind = 'su.failed';
  }
  return e;
}

// `(.*)` for user names is greedy on purpose: OpenSSH logs the name as sent, spaces and all, so the
// last ` from ADDR port N` is the real one. Flag `s`: a CR or U+2028 in a name must not make the
// attempt unreadable (`.` alone stops at line terminators).
const RE_FAILED = /^Failed (\S+) for (?:(invalid|illegal) user )?(.*) from (\S+) port (\d+)(?: ssh\d?)?(?:: (\S+) (\S+))?/s;
// OpenSSH 1.x–2.x (and the ssh1 protocol) logged no port: anchored at the end, so that nothing after the address can pose as it
const RE_FAILED_NOPORT = /^Failed (\S+) for (?:(invalid|illegal) user )?(.*) from (\S+?)(?: ssh\d?)?\s*$/s;
const RE_ACCEPTED = /^Accepted (\S+) for (.*) from (\S+) port (\d+)(?: ssh\d?)?(?:: (\S+) (\S+))?/s;
const RE_INVALID = /^(?:Invalid|Illegal) user (.*?) from (\S+?)(?: port (\d+))?\s*$/s;
// `Connection closed by [authenticating|invalid user U ]ADDR [port N] [preauth]`, `Disconnected from …`
// (matched without the ` [preauth]` suffix; the port is required when present so that the greedy user stops before the address)
const RE_CLOSED = /^(?:Connection (?:closed|reset) by|Disconnected from) (?:(authenticating|invalid) user (.*) )?(\S+) port (\d+)$/s;
const RE_CLOSED_NOPORT = /^(?:Connection (?:closed|reset) by|Disconnected from) (?:(authenticating|invalid) user (.*) )?(\S+)$/s;
export const RE_RECEIVED = /^Received disconnect from (\S+?)(?: port (\d+))?: ?(\d+): (.*?)(?: \[preauth\])?$/s;
const RE_DISC_USER = /^Disconnected from user (.*) (\S+) port (\d+)$/s;
export const RE_MAXAUTH = /^error: maximum authentication attempts exceeded for (?:(invalid) user )?(.*) from (\S+) port (\d+)/s;
const RE_TOOMANY = /^Disconnecting(?: (authenticating|invalid) user (.*) (\S+) port (\d+))?: Too many authentication failures(?: for (?:invalid user )?(.*?))?(?: \[preauth\])?$/s;
const RE_NOTALLOWED = /^User (.*) from (\S+) not allowed because (.*)$/s;
export const RE_ADDR_PORT = /(?:from|by|with|for) (?:connection from )?([0-9a-fA-F:.]+[0-9a-fA-F])(?: port (\d+))?/;
// OpenSSH 3.x–5.x with UsePAM, and macOS: `error: PAM: Authentication failure for [illegal user ]U from HOST[ via IP]`
const RE_SSHD_PAM = /^error: PAM: (?:(?:[Aa]uthentication (?:failure|error))|(User not known to the underlying authentication module)) for (?:(illegal|invalid) user )?(.*) from (\S+?)(?: via \S+)?\s*$/s;
// tcp_wrappers (libwrap) compiled into sshd: `refused connect from HOST (IP)`
const RE_REFUSED = /^refused connect from (\S+?)(?: \((\S+)\))?\s*$/;
/**
 * sshd lines that record no attempt, login or session (LogLevel INFO and VERBOSE across OpenSSH
 * 3.x–10.x): recognised, counted by kind, nothing else.
 */
const SSHD_NOTICES = [
  'Server listening on ',
  'Received signal ',
  'Received SIGHUP',
  'Exiting on signal',
  'Connection from ',
  'Postponed ',
  'Accepted key ',
  'Accepted certificate ',
  'User child is on pid ',
  'Starting session: ',
  'Close session: ',
  'Transferred: ',
  'subsystem request for ',
  'input_userauth_request: ',
  'reverse mapping checking getaddrinfo',
  'Address ',
  'Nasty PTR record ',
  'srclimit_penalise: ',
  'drop connection #',
  'error: beginning MaxStartups throttling',
  'exited MaxStartups throttling',
  'Authentication refused: ',
  'Set /proc/self/oom_score_adj',
  'Timeout, client not responding',
  'Authorized to ',
  'Changed root directory to ',
  'session opened for local user ',
  'session closed for local user ',
];

function sshd(e: AuthEvent, m: string): void {
  const c = m.charCodeAt(0);
  let r: RegExpExecArray | null;
  if (c === 70 /* F */ && (r = RE_FAILED.exec(m))) {
    set(e, 'ssh.failed', r[3], r[4], r[5]);
    e.method = r[1];
    if (r[2]) e.invalidUser = true;
    if (r[6]) {
      e.keyType = r[6];
      e.fingerprint = r[7];
    }
  } else if (c === 70 && (r = RE_FAILED_NOPORT.exec(m))) {
    set(e, 'ssh.failed', r[3], r[4], undefined);
    e.method = r[1];
    if (r[2]) e.invalidUser = true;
  } else if (c === 65 /* A */ && (r = RE_ACCEPTED.exec(m))) {
    set(e, 'ssh.accepted', r[2], r[3], r[4]);
    e.method = r[1];
    if (r[5]) {
      e.keyType = r[5];
      e.fingerprint = r[6];
    }
  } else if ((c === 73 || c === 105) /* I i */ && (r = RE_INVALID.exec(m))) {
    set(e, 'ssh.invalid-user', r[1], r[2], r[3]);
    e.invalidUser = true;
  } else if (c === 68 /* D */ && (r = RE_DISC_USER.exec(m))) {
    set(e, 'ssh.logout', r[1], r[2], r[3]);
  } else if ((c === 67 || c === 68) && (r = closed(m))) {
    // without `[preauth]` (and no user being authenticated) the connection had logged in
    set(e, r[1] || m.endsWith('[preauth]') ? 'ssh.preauth-disconnect' : 'ssh.logout', r[2], r[3], r[4]);
    if (r[1] === 'invalid') e.invalidUser = true;
  } else if (c === 82 /* R */ && (r = RE_RECEIVED.exec(m))) {
    set(e, 'ssh.preauth-disconnect', undefined, r[1], r[2]);
    e.detail = `${r[3]}: ${r[4]}`;
    // after a login, `Received disconnect … disconnected by user` is a logout, not preauth noise
    if (!m.endsWith('[preauth]')) e.kind = 'ssh.logout';
  } else if (c === 101 /* e */ && (r = RE_MAXAUTH.exec(m))) {
    set(e, 'ssh.max-attempts', r[2], r[3], r[4]);
    if (r[1]) e.invalidUser = true;
  } else if (c === 68 && (r = RE_TOOMANY.exec(m))) {
    set(e, 'ssh.max-attempts', r[2] ?? r[5], r[3], r[4]);
    if (r[1] === 'invalid') e.invalidUser = true;
  } else if (c === 85 /* U */ && (r = RE_NOTALLOWED.exec(m))) {
    set(e, 'ssh.not-allowed', r[1], r[2], undefined);
    e.detail = r[3];
  } else if (m.startsWith('ROOT LOGIN REFUSED FROM ')) {
    set(e, 'ssh.not-allowed', 'root', m.slice(24).split(' ')[0], undefined);
    e.detail = 'PermitRootLogin';
  } else if (c === 112 /* p */) {
    // pam_unix(sshd:auth): … : sshd also logs its own `Failed password` line for the same attempt;
    // a PAM failure counts only in a log where sshd wrote none (auth-stats.ts endSource)
    pam(e, m);
  } else if (c === 80 /* P */ && m.startsWith('PAM ')) {
    // `PAM 2 more authentication failures; logname= … rhost=HOST  user=U` at the end of a connection
    pamText(e, m.slice(4), 'sshd');
  } else if (c === 40 /* ( */ && m.startsWith('(pam_unix) ')) {
    // pam_unix before pam_syslog, logging under sshd's own name (Debian 3.x, SUSE 9)
    pamText(e, m.slice(11), 'sshd');
  } else if (c === 101 && (r = RE_SSHD_PAM.exec(m))) {
    set(e, 'pam.auth-failure', r[3], r[4], undefined);
    if (r[1] || r[2]) e.invalidUser = true;
  } else if (c === 101 && m.startsWith('error: Received disconnect from ') && (r = RE_RECEIVED.exec(m.slice(7)))) {
    set(e, 'ssh.preauth-disconnect', undefined, r[1], r[2]);
    e.detail = `${r[3]}: ${r[4]}`;
  } else if (c === 114 /* r */ && (r = RE_REFUSED.exec(m))) {
    set(e, 'ssh.not-allowed', undefined, r[2] && /^[0-9a-fA-F:.]+$/.test(r[2]) ? r[2] : r[1], undefined);
    e.detail = 'tcp_wrappers';
  } else if (
    m.startsWith('Timeout before authentication') ||
    m.startsWith('Did not receive identification string') ||
    m.startsWith('banner exchange:') ||
    m.startsWith('Unable to negotiate with') ||
    m.startsWith('ssh_dispatch_run_fatal:') ||
    m.startsWith('kex_exchange_identification:') ||
    m.startsWith('Bad protocol version identification') ||
    m.startsWith('Protocol major versions differ') ||
    (m.startsWith('error: kex_exchange_identification') && m.includes('Connection'))
  ) {
    e.kind = 'ssh.preauth-disconnect';
    const a = RE_ADDR_PORT.exec(m);
    if (a) {
      e.ip = a[1];
      if (a[2]) e.port = Number(a[2]);
    }
    e.detail = m;
  } else if (m.startsWith('fatal: ') && m.endsWith('[preauth]')) {
    // `fatal: Read from socket failed: Connection reset by peer [preauth]` (OpenSSH 5.x–7.x)
    e.kind = 'ssh.preauth-disconnect';
    e.detail = m;
  } else if (SSHD_NOTICES.some((p) => m.startsWith(p))) {
    e.kind = 'notice';
  }
}

function closed(m: string): RegExpExecArray | null {
  const s = m.endsWith(' [preauth]') ? m.slice(0, -10) : m;
  return RE_CLOSED.exec(s) ?? RE_CLOSED_NOPORT.exec(s);
}

function set(e: AuthEvent, kind: EventKind, user: string | undefined, ip: string | undefined, port: string | undefined): void {
  e.kind = kind;
  if (user !== undefined) e.user = user;
  if (ip !== undefined) e.ip = ip;
  if (port !== undefined) e.port = Number(port);
}

/** `pam_MODULE(SERVICE:TYPE): TEXT` as pam_syslog writes it (Linux-PAM 0.99+) */
const RE_PAM_PREFIX = /^(pam_[A-Za-z0-9_]+)\(([^:)]*):([^)]*)\): /;

/**
 * A `pam_unix(SERVICE:TYPE): …` message: true when it is a PAM session or failure line this parser
 * reads (the kind and fields set), false otherwise (a message of another PAM module becomes `notice`).
 */
function pam(e: AuthEvent, m: string): boolean {
  const p = RE_PAM_PREFIX.exec(m);
  if (!p) return false;
  if (p[1] !== 'pam_unix') {
    e.kind = 'notice';
    e.detail = p[0].slice(0, -2);
    return false;
  }
  pamText(e, m.slice(p[0].length), p[2]!);
  return e.kind !== 'other';
}

const RE_PAM_SESSION_TEXT = /^session (opened|closed) for user (\S+?)(?:\(uid=\d+\))?(?: by (\S*?)(?:\(uid=\d+\))?)?\s*$/;
/** `authentication failure; logname=L uid=N euid=N tty=T ruser=R rhost=HOST  user=U`: the first ` rhost=` (the user name, last, is the client's) */
const RE_PAM_FIELDS = /^(?:(\d+) more )?authentication failures?;(.*)$/s;
/** Linux-PAM 0.6x–0.72 (`PAM_unix[PID]: authentication failure; (uid=0) -> root for ssh service`) */
const RE_PAM_ANCIENT = /^\(uid=\d+\) -> (\S+) for (\S+) service/;

/**
 * pam_unix's own text, whatever wrote the prefix: after `pam_unix(sshd:auth): `, after the old
 * `(pam_unix) `, or the whole message of a `sshd(pam_unix)[PID]:` line. Sessions, authentication
 * failures (with `N more`), `check pass; user unknown`; the user from the PAM fields: `user=` (the
 * account tried), or for su the invoking `ruser=`/`logname=` with `user=` the target.
 */
function pamText(e: AuthEvent, text: string, service: string): void {
  let r = RE_PAM_SESSION_TEXT.exec(text);
  if (r) {
    e.kind = r[1] === 'opened' ? 'session.opened' : 'session.closed';
    e.targetUser = r[2];
    e.user = r[3] || r[2];
    e.detail = service;
    return;
  }
  r = RE_PAM_FIELDS.exec(text);
  if (r) {
    e.kind = 'pam.auth-failure';
    if (r[1] !== undefined) e.attempts = Math.min(Number(r[1]), MAX_REPEAT);
    const f = r[2]!;
    const anc = RE_PAM_ANCIENT.exec(f.trimStart());
    if (anc) {
      e.user = anc[1];
      e.detail = anc[2];
      return;
    }
    const rhost = pamField(f, 'rhost', 0);
    const at = rhost ? rhost.end : 0;
    const user = pamField(f, 'user', at);
    if (rhost?.value) e.ip = rhost.value;
    if (e.program === 'su') {
      const ruser = pamField(f, 'ruser', 0)?.value || pamField(f, 'logname', 0)?.value;
      if (ruser) e.user = ruser;
      if (user?.value) e.targetUser = user.value;
    } else if (user?.value) e.user = user.value;
    return;
  }
  if (text.startsWith('check pass; user unknown') || text.startsWith('bad username')) {
    e.kind = 'pam.user-unknown';
    e.detail = service;
    const b = /^bad username \[(.*)\]/.exec(text);
    if (b) e.user = b[1];
  }
}

/** ` KEY=VALUE` (a space or `;` before the key, the value up to the next white space) at or after `from`. */
function pamField(f: string, key: string, from: number): { value: string; end: number } | null {
  let i = from;
  for (;;) {
    i = f.indexOf(`${key}=`, i);
    if (i < 0) return null;
    const before = i === 0 ? 32 : f.charCodeAt(i - 1);
    if (before === 32 || before === 59 || before === 9) break;
    i += key.length + 1;
  }
  const s = i + key.length + 1;
  let e = s;
  while (e < f.length && f.charCodeAt(e) !== 32 && f.charCodeAt(e) !== 9) e++;
  return { value: f.slice(s, e), end: e };
}

// login(1) of util-linux and of shadow
const RE_LOGIN_FAILED = /^FAILED LOGIN \(?\d*\)?\s*(?:on '?([^' ]*)'? )?(?:FROM '?([^' ]*)'? )?FOR '?([^',]*)'?,? ?(.*)$/;
const RE_LOGIN_OK = /^(?:ROOT LOGIN\s+(?:ON|on) '?([^' ]+)'?|LOGIN ON (\S+) BY (\S+))(?: (?:FROM|from) '?([^' ]+)'?)?\s*$/;

function login(e: AuthEvent, m: string): void {
  let r = RE_LOGIN_FAILED.exec(m);
  if (r) {
    e.kind = 'login.failed';
    e.tty = r[1] || undefined;
    if (r[2] && r[2] !== '(null)') e.detail = `from ${r[2]}`;
    e.user = r[3];
    if (r[4]) e.detail = e.detail ? `${e.detail}: ${r[4]}` : r[4];
    return;
  }
  r = RE_LOGIN_OK.exec(m);
  if (r) {
    e.kind = 'login.session';
    e.user = r[3] ?? 'root';
    e.tty = r[1] ?? r[2];
    if (r[4]) e.detail = `from ${r[4]}`;
    return;
  }
  pam(e, m);
}

/** sudo 1.8/1.9: `USER : [REASON ; ]TTY=… ; PWD=… ; USER=… ; [GROUP=… ; TSID=… ; ENV=… ; ]COMMAND=…` */
function sudo(e: AuthEvent, m: string): void {
  if (m.startsWith('pam_')) {
    // the failure kind is sudo's (parseMessage)
    pam(e, m);
    return;
  }
  const sep = m.indexOf(' : ');
  if (sep < 0) return;
  const who = m.slice(0, sep).trim();
  if (!who || who.includes(' ')) return;
  const rest = m.slice(sep + 3);
  const ci = rest.indexOf('COMMAND=');
  const head = ci >= 0 ? rest.slice(0, ci) : rest;
  e.user = who;
  if (ci >= 0) e.command = rest.slice(ci + 8);
  let reason: string | undefined;
  for (const part of head.split(' ; ')) {
    const kv = part.trim();
    if (!kv) continue;
    const eq = kv.indexOf('=');
    const key = eq > 0 ? kv.slice(0, eq) : '';
    if (key === 'TTY') e.tty = kv.slice(eq + 1);
    else if (key === 'PWD') e.cwd = kv.slice(eq + 1);
    else if (key === 'USER') e.targetUser = kv.slice(eq + 1);
    else if (!/^[A-Z]+$/.test(key)) reason = reason ? `${reason}; ${kv}` : kv;
  }
  e.kind = reason ? 'sudo.failed' : 'sudo.command';
  if (reason) e.detail = reason;
}

const RE_SU_UTIL = /^(FAILED SU )?\(to (\S+)\) (\S+) on (\S+)/;
const RE_SU_SHADOW = /^(Successful|FAILED) su for (\S+) by (\S+)/;
const RE_SU_OLD = /^([+-]) (\S+) (\S+):(\S+)$/;

function su(e: AuthEvent, m: string): void {
  let r = RE_SU_UTIL.exec(m);
  if (r) {
    e.kind = r[1] ? 'su.failed' : 'su.session';
    e.targetUser = r[2];
    e.user = r[3];
    e.tty = r[4];
    return;
  }
  r = RE_SU_SHADOW.exec(m);
  if (r) {
    e.kind = r[1] === 'FAILED' ? 'su.failed' : 'su.session';
    e.targetUser = r[2];
    e.user = r[3];
    return;
  }
  r = RE_SU_OLD.exec(m);
  if (r) {
    e.kind = r[1] === '-' ? 'su.failed' : 'su.session';
    e.tty = r[2];
    e.user = r[3];
    e.targetUser = r[4];
    return;
  }
  // the pam session line repeats `(to root)`: kept as a session event, not a second su (a failure is su's: parseMessage)
  pam(e, m);
}

export const RE_LOGIND = /^New session (\S+) of user (.+?)\.?$/;

function logind(e: AuthEvent, m: string): void {
  const r = RE_LOGIND.exec(m);
  if (r) {
    e.kind = 'logind.session';
    e.user = r[2];
    e.detail = `session ${r[1]}`;
  }
}

// useradd `new user: name=U, UID=…`, usermod `add 'U' to group 'sudo'`, userdel `delete user 'U'`,
// passwd `pam_unix(passwd:chauthtok): password changed for U`, shadow passwd `password for 'U' changed by 'root'`
const RE_ACCOUNT_USER = /name=([^,\s]+)|user '([^']+)'|'([^']+)'|password changed for (\S+)/;

function account(e: AuthEvent, m: string): void {
  if (m.startsWith('pam_') && !m.includes('chauthtok')) {
    pam(e, m);
    return;
  }
  if (/^(new (user|group)|add |delete |change |lock |unlock |remove |group added|removed |password |pam_unix\(\w+:chauthtok\): password changed|members of group|failed adding)/.test(m)) {
    e.kind = 'account.change';
    const r = RE_ACCOUNT_USER.exec(m);
    if (r) e.user = r[1] ?? r[2] ?? r[3] ?? r[4];
    e.detail = m;
  }
}
