import { posix } from 'node:path';
import { isMissing, listOrEmpty, TargetError, type Target } from '../host/target.js';

/**
 * The one reader of fail2ban's configuration files, for `ir fail2ban` and the sweep's fail2ban checks,
 * with fail2ban 1.0's own semantics (client/configparserinc.py, client/configreader.py, Python 3's
 * configparser underneath), checked against `fail2ban-client -d` in test/unit/fail2ban-ini.test.ts:
 *
 * - `[section]` names keep their case; option names are lower-cased (configparser's optionxform), so
 *   `MaxRetry = 2` sets maxretry. `key = value` or `key: value`.
 * - Whole-line comments start with `#` or `;` (after any indentation). Only `;` starts an inline
 *   comment, and only after whitespace: `maxretry = 3 # three` is the value "3 # three", which fail2ban
 *   cannot read as a number and ignores ("Wrong value for 'maxretry'").
 * - A line indented deeper than its option's line continues the value, even after blank lines.
 * - Strict: a section or an option given twice in one file, a line before any section, or a line that
 *   is none of these makes fail2ban refuse the whole configuration. A file that is not UTF-8 is
 *   skipped whole ("Error decoding config file").
 * - Files: NAME.conf, NAME.d/*.conf, NAME.local, NAME.d/*.local (each sorted); `[INCLUDES] before =`
 *   and `after =` files (relative to the including file) come before and after their file, each
 *   followed by its own `.local`. Later files override earlier ones option by option; `[DEFAULT]`
 *   options apply to every section that does not set them.
 * - `%(name)s` interpolation from the section, then DEFAULT; `%(default/name)s`; `%(known/name)s` (the
 *   value an earlier file gave the option); `%(section/name)s`; `%(__name__)s`; `%%`; 10 levels deep.
 *
 * Every value keeps the file and line that set it, so findings and errors can name them.
 */

export interface IniValue {
  /** raw text, continuation lines joined with "\n" */
  value: string;
  path: string;
  /** line of the `key =` line */
  line: number;
}

/** Something fail2ban cannot read: a whole file (line 0) or one line. */
export interface IniProblem {
  path: string;
  line: number;
  message: string;
}

export type IniSection = Map<string, IniValue>;

export interface IniFile {
  path: string;
  sections: Map<string, IniSection>;
  errors: IniProblem[];
}

/** Python's whitespace (str.strip, re's \\s), not JavaScript's: that one also takes U+FEFF and leaves \\x1c-\\x1f and \\x85 */
const PY_WS = new Set([...'\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000'].concat(Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i))));
const isWs = (c: string | undefined): boolean => c !== undefined && PY_WS.has(c);

/** str.strip / str.rstrip by hand: a regex such as /\\s+$/ is quadratic on a long run of spaces */
function pyStrip(s: string, left = true): string {
  let a = 0;
  let b = s.length;
  while (left && a < b && isWs(s[a])) a++;
  while (b > a && isWs(s[b - 1])) b--;
  return s.slice(a, b);
}

/** One file as configparser reads it (strict, inline comments `;`, empty lines inside values). */
export function parseIni(text: string, path: string): IniFile {
  const sections = new Map<string, IniSection>();
  const errors: IniProblem[] = [];
  const seen = new Set<string>();
  let cur: IniSection | null = null;
  let curName = '';
  let lines: string[] = [];
  let at: IniValue | null = null;
  let indent = 0;
  const close = (): void => {
    if (at) at.value = pyStrip(lines.join('\n'), false);
    at = null;
  };
  // Python opens text files with universal newlines: \r\n and a lone \r end a line too
  const all = text.split(/\r\n|\r|\n/);
  if (all.length > 1 && all[all.length - 1] === '') all.pop();
  all.forEach((line, i) => {
    const lineNo = i + 1;
    let cut = line.length;
    for (let p = line.indexOf(';'); p >= 0; p = line.indexOf(';', p + 1)) {
      if (p === 0 || isWs(line[p - 1])) {
        cut = p;
        break;
      }
    }
    const stripped = pyStrip(line);
    const comment = stripped.startsWith('#') || stripped.startsWith(';');
    const value = comment ? '' : pyStrip(line.slice(0, cut));
    if (!value) {
      // a blank line inside a value is kept (configparser's empty_lines_in_values); a comment is not
      if (!comment && cut === line.length && at) lines.push('');
      return;
    }
    let level = 0;
    while (isWs(line[level])) level++;
    if (cur && at && level > indent) {
      lines.push(value);
      return;
    }
    indent = level;
    close();
    const end = value.lastIndexOf(']');
    if (value.startsWith('[') && end > 1) {
      const name = value.slice(1, end);
      if (name !== 'DEFAULT' && seen.has(`[${name}`)) errors.push({ path, line: lineNo, message: `section [${name}] given twice in this file${REFUSED}` });
      seen.add(`[${name}`);
      cur = sections.get(name) ?? new Map<string, IniValue>();
      sections.set(name, cur);
      curName = name;
      return;
    }
    if (!cur) {
      errors.push({ path, line: lineNo, message: `"${clipText(value)}" comes before any [section]${REFUSED}` });
      return;
    }
    const eq = value.search(/[=:]/);
    const key = eq > 0 ? pyStrip(value.slice(0, eq)).toLowerCase() : '';
    if (!key) {
      errors.push({ path, line: lineNo, message: `cannot read "${clipText(value)}": neither [section], key = value nor a comment${REFUSED}` });
      return;
    }
    if (seen.has(`${curName}\0${key}`)) errors.push({ path, line: lineNo, message: `${key} given twice in [${curName}] of this file${REFUSED}` });
    seen.add(`${curName}\0${key}`);
    at = { value: '', path, line: lineNo };
    lines = [pyStrip(value.slice(eq + 1))];
    cur.set(key, at);
  });
  close();
  return { path, sections, errors };
}

/** what fail2ban does with a file configparser refuses (fail2ban-client: "Failed during configuration") */
const REFUSED = ': fail2ban refuses to start with it';
const clipText = (s: string): string => (s.length > 80 ? `${s.slice(0, 79)}…` : s);

/** Files larger than this are not read (fail2ban would read them whole; a padded jail.local is itself suspicious). */
export const MAX_CONFIG_BYTES = 16 << 20;

/** fail2ban's configuration (NAME = jail or fail2ban) merged as fail2ban merges it. */
export class Fail2banIni {
  /** files read, in the order fail2ban reads them */
  readonly files: string[] = [];
  /** what fail2ban refuses (parse errors) or skips (not UTF-8), and files that could not be read */
  readonly errors: IniProblem[] = [];
  readonly sections = new Map<string, IniSection>();
  /** `KNOWN/section`: the values later files replaced, for `%(known/name)s` */
  private readonly known = new Map<string, IniSection>();

  constructor(
    readonly dir: string,
    readonly name: string,
  ) {}

  /** The section's own value, else DEFAULT's (raw, not interpolated). */
  raw(section: string, key: string): IniValue | undefined {
    return this.sections.get(section)?.get(key) ?? this.sections.get('DEFAULT')?.get(key);
  }

  /** The value interpolated, with where it was set and what fail2ban could not interpolate. */
  resolve(section: string, key: string): (IniValue & { raw: string; problems: string[] }) | undefined {
    const v = this.raw(section, key);
    if (!v) return undefined;
    const problems: string[] = [];
    return { ...v, raw: v.value, value: this.interpolate(section, v.value, problems), problems };
  }

  /**
   * configparser's BasicInterpolation with fail2ban's `%(section/name)s`. Where Python raises (a name
   * nothing defines, a `%` not followed by `%` or `(`, more than 10 levels) the rest stays as written
   * and the reason goes to `problems`: fail2ban cannot read such a value.
   */
  interpolate(section: string, value: string, problems: string[] = [], depth = 0): string {
    if (!value.includes('%')) return value;
    if (depth > 10) {
      problems.push('references nested more than 10 levels deep');
      return value;
    }
    let out = '';
    let i = 0;
    for (let p = value.indexOf('%'); p >= 0; p = value.indexOf('%', i)) {
      out += value.slice(i, p);
      const c = value[p + 1];
      if (c === '%') {
        out += '%';
        i = p + 2;
        continue;
      }
      const close = c === '(' ? value.indexOf(')', p + 2) : -1;
      if (close < 0 || close === p + 2 || value[close + 1] !== 's') {
        problems.push(`"${clipText(value.slice(p))}": a % must be followed by % or (name)s`);
        return out + value.slice(p);
      }
      const ref = value.slice(p + 2, close);
      const v = this.lookup(section, ref.toLowerCase());
      if (v === undefined) {
        problems.push(`%(${clipText(ref)})s is not defined`);
        return out + value.slice(p);
      }
      out += this.interpolate(section, v, problems, depth + 1);
      i = close + 2;
    }
    return out + value.slice(i);
  }

  private lookup(section: string, ref: string): string | undefined {
    if (ref === '__name__') return section;
    // JailReader merges it into DEFAULT over anything the files say
    if (ref === 'fail2ban_confpath') return this.dir;
    const own = this.sections.get(section)?.get(ref) ?? this.sections.get('DEFAULT')?.get(ref);
    if (own) return own.value;
    const m = /^([\w-]+)\/([^\s>]+)$/.exec(ref);
    if (!m) return undefined;
    const [, sec, opt] = m as unknown as [string, string, string];
    const def = this.sections.get('DEFAULT')?.get(opt)?.value;
    if (sec === 'default') return def;
    if (sec === 'known') return this.known.get(section)?.get(opt)?.value ?? def;
    // the reference is lower-cased before the lookup, so only a lower-case section name matches
    const named = this.sections.get(sec);
    return named ? (named.get(opt)?.value ?? def) : undefined;
  }

  /** Every section but DEFAULT and INCLUDES: the jails of jail.conf. */
  sectionNames(): string[] {
    return [...this.sections.keys()].filter((n) => n !== 'DEFAULT' && n !== 'INCLUDES');
  }

  /** Merges one parsed file as fail2ban does (read(): defaults updated, sections updated, old values kept as KNOWN). */
  merge(file: IniFile): void {
    for (const [rawName, sec] of file.sections) {
      // conditional sections: [Definition?family=inet6] sets `key?family=inet6` of [Definition]
      const cond = /^(\w+)(\?.+)$/.exec(rawName);
      const name = cond ? cond[1]! : rawName;
      const add = cond ? new Map([...sec].map(([k, v]) => [k + cond[2]!, v])) : sec;
      const into = this.sections.get(name);
      if (!into) {
        this.sections.set(name, new Map(add));
        continue;
      }
      if (name !== 'DEFAULT') {
        const known = this.known.get(name) ?? new Map<string, IniValue>();
        for (const k of add.keys()) if (into.has(k)) known.set(k, into.get(k)!);
        this.known.set(name, known);
      }
      for (const [k, v] of add) into.set(k, v);
    }
  }
}

/** How one file reads: its parse, or why it could not be read (null: it does not exist). */
async function readOne(t: Target, path: string, errors: IniProblem[]): Promise<IniFile | null> {
  let bytes: Buffer;
  try {
    const st = await t.stat(path);
    if (!st) return null;
    if (st.type !== 'file') {
      errors.push({ path, line: 0, message: `not a regular file (${st.type}): not read` });
      return null;
    }
    if (st.size > MAX_CONFIG_BYTES) {
      errors.push({ path, line: 0, message: `${st.size} bytes, far larger than a configuration file: too large to judge` });
      return null;
    }
    bytes = await t.readFile(path, { maxBytes: MAX_CONFIG_BYTES + 1 });
  } catch (err) {
    if (isMissing(err)) return null;
    errors.push({ path, line: 0, message: `could not read: ${err instanceof TargetError || err instanceof Error ? err.message : String(err)}` });
    return null;
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    errors.push({ path, line: 0, message: `more than ${MAX_CONFIG_BYTES} bytes: too large to judge` });
    return null;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, bad).filter((b) => b === 10).length + 1;
    errors.push({ path, line, message: 'not valid UTF-8: fail2ban skips this whole file ("Error decoding config file")' });
    return null;
  }
  return parseIni(text, path);
}

/** Offset of the first byte that is not valid UTF-8: a valid prefix decodes and encodes back to itself. */
function firstInvalidUtf8(b: Buffer): number {
  const again = Buffer.from(b.toString('utf8'), 'utf8');
  let i = 0;
  while (i < b.length && b[i] === again[i]) i++;
  return i;
}

/**
 * NAME.conf, NAME.d/*.conf, NAME.local, NAME.d/*.local of DIR with their includes, merged. A missing
 * directory or file is not an error; an unreadable or unparsable one is (in `errors`).
 */
export async function readFail2banIni(t: Target, dir: string, name: string): Promise<Fail2banIni> {
  const ini = new Fail2banIni(dir, name);
  const dropins = (await listOrEmpty(t, posix.join(dir, `${name}.d`)).catch((err: unknown) => {
    ini.errors.push({ path: posix.join(dir, `${name}.d`), line: 0, message: `could not list: ${(err as Error).message}` });
    return [];
  }))
    .map((e) => e.name)
    // Python's glob: `*` does not match a leading dot
    .filter((n) => !n.startsWith('.'))
    .sort();
  const top = [`${name}.conf`, ...dropins.filter((n) => n.endsWith('.conf')).map((n) => `${name}.d/${n}`), `${name}.local`, ...dropins.filter((n) => n.endsWith('.local')).map((n) => `${name}.d/${n}`)].map((r) => posix.join(dir, r));
  const parsed = new Map<string, IniFile | null>();
  const load = async (path: string): Promise<IniFile | null> => {
    if (!parsed.has(path)) parsed.set(path, await readOne(t, path, ini.errors));
    return parsed.get(path)!;
  };
  // configparserinc._getIncludes: each file, its before-includes first and after-includes last,
  // every include followed by its own .local; a file already on the way down is not read again
  const order: string[] = [];
  const expand = async (paths: string[], seen: string[]): Promise<void> => {
    const withLocal: string[] = [];
    for (const p of paths) {
      withLocal.push(p);
      const local = p.replace(/\.[^./]*$/, '') + '.local';
      if (!paths.includes(local) && (await t.stat(local).catch(() => null))?.type === 'file') withLocal.push(local);
    }
    for (const p of withLocal) {
      const f = await load(p);
      if (!f) continue;
      const inc = f.sections.get('INCLUDES');
      // one file per line (not per word), relative to the including file's directory
      const rel = (v?: IniValue) => (v?.value ?? '').split('\n').filter(Boolean).map((r) => (r.startsWith('/') ? r : posix.join(posix.dirname(p), r))).filter((r) => !seen.includes(r));
      for (const b of rel(inc?.get('before'))) await expand([b], [...seen, p]);
      order.push(p);
      for (const a of rel(inc?.get('after'))) await expand([a], [...seen, p]);
    }
  };
  await expand(top, []);
  for (const p of order) {
    const f = parsed.get(p)!;
    if (!ini.files.includes(p)) ini.errors.push(...f.errors);
    ini.files.push(p);
    ini.merge(f);
  }
  return ini;
}

/** fail2ban's _as_bool: 1, on, true, yes (any case) are true; anything else is false. */
export function fail2banBool(v: string): boolean {
  return ['1', 'on', 'true', 'yes'].includes(v.toLowerCase());
}

/** A value fail2ban reads with Python's int(): null when it cannot ("Wrong value", the option is ignored). */
export function fail2banInt(v: string): number | null {
  const s = v.trim();
  return /^[+-]?\d+(_\d+)*$/.test(s) ? Number(s.replace(/_/g, '')) : null;
}

const MONTH = ((365 * 3 + 366) * 24 * 60 * 60) / 4 / 12;
const YEAR = ((365 * 3 + 366) * 24 * 60 * 60) / 4;
/** MyTime.str2seconds (server/mytime.py): unit words become factors, in this order */
const TIME_UNITS: [RegExp, number][] = [
  ['days?|da|dd?', 86400],
  ['weeks?|wee?|ww?', 7 * 86400],
  ['months?|mon?', MONTH],
  ['years?|yea?|yy?', YEAR],
  ['seconds?|sec?|ss?', 1],
  ['minutes?|min?|mm?', 60],
  ['hours?|hou?|hh?', 3600],
].map(([re, f]) => [new RegExp(`(?<=[\\d\\s])(${re as string})\\b`, 'gi'), f as number]);

/**
 * fail2ban's time values as its server reads them (MyTime.str2seconds): `600`, `10m`, `1h 30m`,
 * `1d12h`, `365d`, `1mo` (a twelfth of 365.25 days), `1y` (365.25 days), `1year-6mo`, `-1` (forever).
 * The text is an arithmetic expression to fail2ban (Python's eval): `2h # two hours` is 7200, a
 * `#` starting a Python comment. Null when fail2ban could not read it either (the jail fails to start).
 */
export function fail2banTime(text: string): number | null {
  let s = text.replace(/(?<=[a-z])(\d)/gi, ' $1');
  for (const [re, f] of TIME_UNITS) s = s.replace(re, `*${f}`);
  s = s.replace(/(\d)\s+(\d)/g, '$1+$2');
  return evalArithmetic(s);
}

/** Python's eval of + - * / // % ** ( ) on numbers, `#` to the end a comment; null on anything else. */
function evalArithmetic(src: string): number | null {
  const code = src.replace(/#.*$/s, '');
  const toks = code.match(/\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\*\*|\/\/|[-+*/%()]|\S/g) ?? [];
  let i = 0;
  const peek = () => toks[i];
  const fail = (): never => {
    throw new Error('syntax');
  };
  // Python precedence: unary binds looser than **, tighter than * / // %
  const atom = (): number => {
    const t = toks[i++];
    if (t === undefined) fail();
    if (t === '(') {
      const v = sum();
      if (toks[i++] !== ')') fail();
      return v;
    }
    // Python 3 refuses decimal integers with leading zeros (010), but not 0, 00 or 0.5
    if (!/^(\d|\.\d)/.test(t!) || /^0\d*[1-9]\d*$/.test(t!)) fail();
    return Number(t);
  };
  const power = (): number => {
    const base = atom();
    if (peek() === '**') {
      i++;
      return base ** unary();
    }
    return base;
  };
  const unary = (): number => {
    if (peek() === '-') return i++, -unary();
    if (peek() === '+') return i++, +unary();
    return power();
  };
  const product = (): number => {
    let v = unary();
    for (let op = peek(); op === '*' || op === '/' || op === '//' || op === '%'; op = peek()) {
      i++;
      const r = unary();
      if ((op === '/' || op === '//' || op === '%') && r === 0) fail();
      v = op === '*' ? v * r : op === '/' ? v / r : op === '//' ? Math.floor(v / r) : v - r * Math.floor(v / r);
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      i++;
      v = op === '+' ? v + product() : v - product();
    }
    return v;
  };
  try {
    if (toks.length === 0) return null;
    const v = sum();
    return i === toks.length && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** `/etc/fail2ban/jail.local line 4: …` (no line for a whole file). */
export function problemText(p: IniProblem): string {
  return `${p.path}${p.line ? ` line ${p.line}` : ''}: ${p.message}`;
}
