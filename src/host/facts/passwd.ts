/**
 * The account databases: /etc/passwd, /etc/shadow and /etc/group (passwd(5), shadow(5), group(5)).
 * The one parser for scan, sweep and collect. A line is parsed on its own (`passwdLine`), so a reader
 * can stream a file and never hold it; `parsePasswd` and friends are the whole-text forms.
 *
 * A line that is not a well-formed entry is never guessed at: `::::::` has an empty UID, which
 * Number('') would read as 0 (root). It comes back as malformed with the reason.
 */

export interface Account {
  name: string;
  uid: number;
  gid: number;
  /** the second field: `x` when the hash is in /etc/shadow, a hash, `*`/`!` locked, or empty (no password) */
  passwd: string;
  gecos: string;
  home: string;
  shell: string;
  /** 1-based line in the file */
  line: number;
}

export interface Malformed {
  line: number;
  raw: string;
  why: string;
}

export type Parsed<T> = { entry: T } | { malformed: Malformed } | null;

/** Shells that cannot start an interactive session. */
export const NOLOGIN_SHELLS = /(^|\/)(nologin|false|sync|halt|shutdown)$/;

const NAME = /^[^\s:]+$/;
const ID = /^\d{1,10}$/;

/** NIS compat entries (`+`, `+user`, `-@netgroup`) pull accounts from elsewhere: neither accounts nor corrupt. */
const NIS = /^[+-]/;

function skip(raw: string): boolean {
  return raw.trim() === '' || raw.startsWith('#');
}

/** One /etc/passwd line: an account, a malformed line with the reason, or null (blank, comment, NIS). */
export function passwdLine(raw: string, line: number): Parsed<Account> {
  const text = raw.replace(/\r$/, '');
  if (skip(text) || NIS.test(text)) return null;
  const f = text.split(':');
  const bad = (why: string): Parsed<Account> => ({ malformed: { line, raw: text, why } });
  if (f.length !== 7) return bad(`${f.length} fields, passwd has 7`);
  const [name, passwd, uid, gid, gecos, home, shell] = f as [string, string, string, string, string, string, string];
  if (!NAME.test(name)) return bad(name ? `account name "${name}" has spaces` : 'empty account name');
  if (!ID.test(uid)) return bad(uid ? `UID "${uid}" is not a number` : 'empty UID');
  if (!ID.test(gid)) return bad(gid ? `GID "${gid}" is not a number` : 'empty GID');
  return { entry: { name, uid: Number(uid), gid: Number(gid), passwd, gecos, home, shell, line } };
}

/** Every line of a text, 1-based, the last one without its newline. */
export function* textLines(text: string): Generator<[string, number]> {
  let start = 0;
  let n = 0;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (nl < 0 && start === text.length) return;
    yield [text.slice(start, end), ++n];
    start = end + 1;
  }
}

function parseAll<T>(text: string, one: (raw: string, line: number) => Parsed<T>): { entries: T[]; malformed: Malformed[] } {
  const entries: T[] = [];
  const malformed: Malformed[] = [];
  for (const [raw, n] of textLines(text)) {
    const p = one(raw, n);
    if (!p) continue;
    if ('entry' in p) entries.push(p.entry);
    else malformed.push(p.malformed);
  }
  return { entries, malformed };
}

/** The accounts of /etc/passwd; malformed lines are left out (parsePasswdFile says which). */
export function parsePasswd(text: string): Account[] {
  return parseAll(text, passwdLine).entries;
}

export function parsePasswdFile(text: string): { entries: Account[]; malformed: Malformed[] } {
  return parseAll(text, passwdLine);
}

/** A system account: uid below 1000 other than root, or nobody. */
export function isSystemAccount(a: { uid: number }): boolean {
  return (a.uid > 0 && a.uid < 1000) || a.uid === 65534;
}

export interface ShadowEntry {
  name: string;
  line: number;
  /** the crypt(3) field itself (kept in memory only: never printed, hashed again before it leaves) */
  hash: string;
  /** empty | locked | des | md5 | bcrypt | sha256 | sha512 | yescrypt | gost-yescrypt | scrypt | unknown */
  kind: string;
  /** date of the last password change, days since 1970-01-01 (undefined when the field is empty) */
  lastChange?: number;
  /** the account's expiry field as written (days since 1970-01-01; empty: never) */
  expire: string;
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

/** One /etc/shadow line (9 fields; older files may have fewer trailing ones). */
export function shadowLine(raw: string, line: number): Parsed<ShadowEntry> {
  const text = raw.replace(/\r$/, '');
  if (skip(text) || NIS.test(text)) return null;
  const f = text.split(':');
  const bad = (why: string): Parsed<ShadowEntry> => ({ malformed: { line, raw: text.replace(/^([^:]*):[^:]*/, '$1:<hash>'), why } });
  if (f.length < 2 || f.length > 9) return bad(`${f.length} fields, shadow has 9`);
  if (!NAME.test(f[0]!)) return bad(f[0] ? `account name "${f[0]}" has spaces` : 'empty account name');
  const last = f[2] ?? '';
  if (last !== '' && !/^\d{1,7}$/.test(last)) return bad(`last change "${last}" is not a number of days`);
  return { entry: { name: f[0]!, line, hash: f[1]!, kind: hashKind(f[1]!), lastChange: last === '' ? undefined : Number(last), expire: f[7] ?? '' } };
}

export function parseShadow(text: string): ShadowEntry[] {
  return parseAll(text, shadowLine).entries;
}

export function parseShadowFile(text: string): { entries: ShadowEntry[]; malformed: Malformed[] } {
  return parseAll(text, shadowLine);
}

export interface Group {
  name: string;
  gid: number;
  members: string[];
  line: number;
  raw: string;
}

/** One /etc/group line: `name:password:GID:member,member`. */
export function groupLine(raw: string, line: number): Parsed<Group> {
  const text = raw.replace(/\r$/, '');
  if (skip(text) || NIS.test(text)) return null;
  const f = text.split(':');
  const bad = (why: string): Parsed<Group> => ({ malformed: { line, raw: text, why } });
  if (f.length !== 4) return bad(`${f.length} fields, group has 4`);
  if (!NAME.test(f[0]!)) return bad(f[0] ? `group name "${f[0]}" has spaces` : 'empty group name');
  if (!ID.test(f[2]!)) return bad(f[2] ? `GID "${f[2]}" is not a number` : 'empty GID');
  return { entry: { name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').map((m) => m.trim()).filter(Boolean), line, raw: text } };
}

export function parseGroup(text: string): Group[] {
  return parseAll(text, groupLine).entries;
}

export function parseGroupFile(text: string): { entries: Group[]; malformed: Malformed[] } {
  return parseAll(text, groupLine);
}
