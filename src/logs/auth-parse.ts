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
  const program = line.slice(progStart, progEnd);
  if (!KNOWN.has(program)) return { event: null, header: true };
  const host = line.slice(hostStart, hostEnd);
  return { event: parseMessage(t.ts, host, program, pid, line.slice(colon + 2), line), header: true };
}

const NO_HEADER: ParseResult = { event: null, header: false };

/** The message part, shared by syslog lines and journald records. */
export function parseMessage(ts: number, host: string, program: string, pid: number | undefined, message: string, raw: string): AuthEvent | null {
  if (message.length > MAX_LINE) message = message.slice(0, MAX_LINE);
  if (raw.length > MAX_LINE) raw = raw.slice(0, MAX_LINE);
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
  };
  if (SSHD.has(program)) sshd(e, message);
  else if (program === 'sudo') sudo(e, message);
  else if (program === 'su') su(e, message);
  else if (program === 'systemd-logind') logind(e, message);
  else if (ACCOUNT.has(program)) account(e, message);
  else if (program === 'CRON' || program === 'cron' || program === 'crond' || program === 'login' || program === 'systemd') {
    if (!pam(e, message)) return null;
  }
  return e;
}

// `(.*)` for user names is greedy on purpose: OpenSSH logs the name as sent, spaces and all, so the
// last ` from ADDR port N` is the real one.
const RE_FAILED = /^Failed (\S+) for (?:(invalid|illegal) user )?(.*) from (\S+) port (\d+)(?: ssh\d?)?(?:: (\S+) (\S+))?/;
const RE_ACCEPTED = /^Accepted (\S+) for (.*) from (\S+) port (\d+)(?: ssh\d?)?(?:: (\S+) (\S+))?/;
const RE_INVALID = /^(?:Invalid|Illegal) user (.*?) from (\S+?)(?: port (\d+))?\s*$/;
// `Connection closed by [authenticating|invalid user U ]ADDR [port N] [preauth]`, `Disconnected from …`
// (matched without the ` [preauth]` suffix; the port is required when present so that the greedy user stops before the address)
const RE_CLOSED = /^(?:Connection (?:closed|reset) by|Disconnected from) (?:(authenticating|invalid) user (.*) )?(\S+) port (\d+)$/;
const RE_CLOSED_NOPORT = /^(?:Connection (?:closed|reset) by|Disconnected from) (?:(authenticating|invalid) user (.*) )?(\S+)$/;
export const RE_RECEIVED = /^Received disconnect from (\S+?)(?: port (\d+))?: ?(\d+): (.*?)(?: \[preauth\])?$/;
const RE_DISC_USER = /^Disconnected from user (.*) (\S+) port (\d+)$/;
export const RE_MAXAUTH = /^error: maximum authentication attempts exceeded for (?:(invalid) user )?(.*) from (\S+) port (\d+)/;
const RE_TOOMANY = /^Disconnecting(?: (authenticating|invalid) user (.*) (\S+) port (\d+))?: Too many authentication failures(?: for (?:invalid user )?(.*?))?(?: \[preauth\])?$/;
const RE_NOTALLOWED = /^User (.*) from (\S+) not allowed because (.*)$/;
export const RE_ADDR_PORT = /(?:from|by|with|for) (?:connection from )?([0-9a-fA-F:.]+[0-9a-fA-F])(?: port (\d+))?/;
export const RE_PAM_FAIL = /^pam_unix\(([^:)]+):auth\): authentication failure;.*? rhost=(\S*)\s+user=(\S*)/;
export const RE_PAM_SESSION = /^pam_unix\(([^:)]+):session\): session (opened|closed) for user (\S+?)(?:\(uid=\d+\))?(?: by (\S*?)(?:\(uid=\d+\))?)?$/;

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
  } else if (c === 112 /* p */ && (r = RE_PAM_FAIL.exec(m))) {
    // sshd also logs the `Failed password` line for the same attempt: kept apart, never counted twice
    set(e, 'pam.auth-failure', r[3], r[2] || undefined, undefined);
  } else if (c === 112 && pam(e, m)) {
    // session opened/closed
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

function pam(e: AuthEvent, m: string): boolean {
  let r = RE_PAM_SESSION.exec(m);
  if (r) {
    e.kind = r[2] === 'opened' ? 'session.opened' : 'session.closed';
    e.targetUser = r[3];
    e.user = r[4] || r[3];
    e.detail = r[1];
    return true;
  }
  r = RE_PAM_FAIL.exec(m);
  if (r) {
    set(e, 'pam.auth-failure', r[3], r[2] || undefined, undefined);
    return true;
  }
  return false;
}

/** sudo 1.8/1.9: `USER : [REASON ; ]TTY=… ; PWD=… ; USER=… ; [GROUP=… ; TSID=… ; ENV=… ; ]COMMAND=…` */
function sudo(e: AuthEvent, m: string): void {
  if (m.startsWith('pam_unix(')) {
    pam(e, m);
    if (e.kind === 'pam.auth-failure') e.kind = 'sudo.failed';
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
  if (pam(e, m)) {
    if (e.kind === 'pam.auth-failure') e.kind = 'su.failed';
    // the pam session line repeats `(to root)`: kept as a session event, not a second su
  }
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
  if (m.startsWith('pam_unix(') && !m.includes('chauthtok')) {
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
