import type { Target } from '../host/target.js';
import { DEFAULT_CONF_DIR } from './defaults.js';
import { fail2banBool, fail2banInt, fail2banTime, readFail2banIni, type Fail2banIni, type IniProblem } from './ini.js';

/**
 * The jails of fail2ban's configuration as fail2ban itself reads them (client/jailsreader.py,
 * jailreader.py), through the one reader of its files (ini.ts): every jail section, `enabled` read as
 * fail2ban reads a boolean, numbers and times as its server reads them, each setting with the file
 * and line that set it.
 */

export { DEFAULT_CONF_DIR };

/** Where a setting of a jail comes from, and what fail2ban makes of it when it cannot read it. */
export interface SettingSource {
  path: string;
  line: number;
  /** the text as written (before interpolation) */
  raw: string;
}

export interface JailConfig {
  name: string;
  enabled: boolean;
  filter?: string;
  maxretry?: number;
  findtime?: number;
  bantime?: number;
  banaction?: string;
  /** the first action line (fail2ban runs every line) */
  action?: string;
  backend?: string;
  logpath?: string[];
  port?: string;
  /** file and line of every setting read */
  sources: Record<string, SettingSource>;
  /** settings fail2ban cannot use as written: `maxretry = 3 # three` is ignored, `enabled = tru` is false */
  problems: { key: string; path: string; line: number; message: string }[];
}

export interface Fail2banConfig {
  dir: string;
  /** files in the order fail2ban merges them (an include before the file that names it) */
  files: string[];
  jails: JailConfig[];
  /** fail2ban.conf/.local [Definition]: socket, dbfile, logtarget */
  server: { socket?: string; dbfile?: string; logtarget?: string };
  /**
   * what fail2ban cannot read at all: with any of these it refuses to start (a malformed line), or
   * skips a whole file (not UTF-8), or ir could not read a file. The jails are then not what runs.
   */
  errors: IniProblem[];
}

/** Options fail2ban reads for a jail (jailreader._configOpts): an undefined reference in one of them fails the jail. */
const READ_BY_FAIL2BAN = ['enabled', 'backend', 'filter', 'maxretry', 'findtime', 'bantime', 'logpath', 'action'];

export function jailFromIni(ini: Fail2banIni, name: string): JailConfig {
  const sources: JailConfig['sources'] = {};
  const problems: JailConfig['problems'] = [];
  const get = (key: string): string | undefined => {
    const v = ini.resolve(name, key);
    if (!v) return undefined;
    sources[key] = { path: v.path, line: v.line, raw: v.raw };
    if (v.problems.length && READ_BY_FAIL2BAN.includes(key)) problems.push({ key, path: v.path, line: v.line, message: `${key}: ${v.problems.join('; ')}: fail2ban cannot read this jail` });
    return v.value;
  };
  const enabledText = get('enabled');
  const enabled = enabledText !== undefined && fail2banBool(enabledText);
  if (enabledText !== undefined && !enabled && !['0', 'off', 'false', 'no'].includes(enabledText.toLowerCase())) {
    const s = sources.enabled!;
    problems.push({ key: 'enabled', path: s.path, line: s.line, message: `enabled = ${JSON.stringify(enabledText)}: not true, yes, on or 1, so fail2ban takes it as false` });
  }
  const number = (key: string, parse: (s: string) => number | null, what: string, effect: string): number | undefined => {
    const text = get(key);
    if (text === undefined) return undefined;
    const n = parse(text);
    if (n === null) {
      const s = sources[key]!;
      problems.push({ key, path: s.path, line: s.line, message: `${key} = ${JSON.stringify(text)}: not ${what}, ${effect}` });
      return undefined;
    }
    return n;
  };
  const jail: JailConfig = {
    name,
    enabled,
    filter: get('filter'),
    maxretry: number('maxretry', fail2banInt, 'a whole number', "fail2ban ignores it (\"Wrong value for 'maxretry'\") and keeps its default"),
    findtime: number('findtime', fail2banTime, 'a time fail2ban can read', 'the jail fails to start'),
    bantime: number('bantime', fail2banTime, 'a time fail2ban can read', 'the jail fails to start'),
    banaction: get('banaction'),
    action: get('action')?.split('\n')[0],
    backend: get('backend'),
    logpath: get('logpath')
      ?.split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
    port: get('port'),
    sources,
    problems,
  };
  return jail;
}

/** null when the directory holds no jail.conf, jail.local or jail.d file at all. */
export async function readFail2banConfig(t: Target, dir = DEFAULT_CONF_DIR): Promise<Fail2banConfig | null> {
  const jail = await readFail2banIni(t, dir, 'jail');
  if (jail.files.length === 0 && jail.errors.length === 0) return null;
  const server = await readFail2banIni(t, dir, 'fail2ban');
  const def = (k: string) => server.resolve('Definition', k)?.value;
  return {
    dir,
    files: [...jail.files, ...server.files],
    jails: jail
      .sectionNames()
      .filter((n) => n !== 'Definition' && n !== 'Init')
      .map((n) => jailFromIni(jail, n)),
    server: { socket: def('socket'), dbfile: def('dbfile'), logtarget: def('logtarget') },
    errors: [...jail.errors, ...server.errors],
  };
}
