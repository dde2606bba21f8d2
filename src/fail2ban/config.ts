import { joinPath, listOrEmpty, readTextOrNull, type Target } from '../host/target.js';

/**
 * fail2ban's jail configuration as fail2ban itself reads it (configreader.py, jailsreader.py):
 * `jail.conf`, then `jail.d/*.conf`, then `jail.local`, then `jail.d/*.local`, each alphabetical,
 * later files overriding earlier keys; `[INCLUDES] before/after` files (paths-debian.conf) provide
 * `%(name)s` values; `[DEFAULT]` applies to every jail; a jail runs only with `enabled = true`.
 */

import { DEFAULT_CONF_DIR } from './defaults.js';
export { DEFAULT_CONF_DIR };

export type Section = Map<string, string>;

export interface JailConfig {
  name: string;
  enabled: boolean;
  filter?: string;
  maxretry?: number;
  findtime?: number;
  bantime?: number;
  banaction?: string;
  action?: string;
  backend?: string;
  logpath?: string[];
  port?: string;
}

export interface Fail2banConfig {
  dir: string;
  /** files read, in the order fail2ban reads them */
  files: string[];
  jails: JailConfig[];
  /** fail2ban.conf/.local [Definition]: socket, dbfile, logtarget */
  server: { socket?: string; dbfile?: string; logtarget?: string };
}

/** `key = value` INI with indented continuation lines and `#`/`;` comments, as Python's configparser. */
export function parseIni(text: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  let cur: Section | null = null;
  let lastKey: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || raw.trim() === '') {
      if (raw.trim() === '') lastKey = null;
      continue;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(raw);
    if (sec) {
      const name = sec[1]!.trim();
      cur = sections.get(name) ?? new Map<string, string>();
      sections.set(name, cur);
      lastKey = null;
      continue;
    }
    if (!cur) continue;
    if (/^\s/.test(raw) && lastKey) {
      cur.set(lastKey, `${cur.get(lastKey) ?? ''}\n${raw.trim()}`);
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw);
    if (kv) {
      lastKey = kv[1]!.trim();
      cur.set(lastKey, kv[2]!.replace(/\s+[#;].*$/, '').trim());
    }
  }
  return sections;
}

function mergeInto(into: Map<string, Section>, from: Map<string, Section>): void {
  for (const [name, sec] of from) {
    const t = into.get(name) ?? new Map<string, string>();
    for (const [k, v] of sec) t.set(k, v);
    into.set(name, t);
  }
}

/** fail2ban's time values: `600`, `10m`, `1h`, `1d`, `1w`, `1mo`, `1y`, `1d 12h`, `-1` (forever). */
export function parseDuration(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  const units: Record<string, number> = { s: 1, sec: 1, second: 1, seconds: 1, m: 60, min: 60, minute: 60, minutes: 60, h: 3600, hour: 3600, hours: 3600, d: 86400, day: 86400, days: 86400, w: 604800, week: 604800, weeks: 604800, mo: 2592000, month: 2592000, months: 2592000, y: 31536000, year: 31536000, years: 31536000 };
  let total = 0;
  let matched = false;
  for (const m of s.matchAll(/(-?\d+(?:\.\d+)?)\s*([a-z]+)/g)) {
    const u = units[m[2]!];
    if (u === undefined) return undefined;
    total += Number(m[1]) * u;
    matched = true;
  }
  return matched ? total : undefined;
}

async function readIniFile(t: Target, path: string, files: string[]): Promise<Map<string, Section> | null> {
  const text = await readTextOrNull(t, path, { maxBytes: 4 << 20 });
  if (text === null) return null;
  files.push(path);
  return parseIni(text);
}

/** Reads a `.conf` with its `.local`, their [INCLUDES] before/after files, and `NAME.d/` drop-ins. */
async function readLayered(t: Target, dir: string, name: string, files: string[]): Promise<Map<string, Section>> {
  const out = new Map<string, Section>();
  const dropins = (await listOrEmpty(t, joinPath(dir, `${name}.d`))).filter((e) => e.stat.type === 'file' || e.stat.type === 'symlink').map((e) => e.name).sort();
  const order = [`${name}.conf`, ...dropins.filter((n) => n.endsWith('.conf')).map((n) => `${name}.d/${n}`), `${name}.local`, ...dropins.filter((n) => n.endsWith('.local')).map((n) => `${name}.d/${n}`)];
  for (const rel of order) await readWithIncludes(t, dir, rel, files, out, 0);
  return out;
}

/** One file with its `[INCLUDES] before/after` files, themselves with theirs (paths-debian.conf includes paths-common.conf). */
async function readWithIncludes(t: Target, dir: string, rel: string, files: string[], out: Map<string, Section>, depth: number): Promise<void> {
  if (depth > 5) return;
  const ini = await readIniFile(t, joinPath(dir, rel), files);
  if (!ini) return;
  const inc = ini.get('INCLUDES');
  for (const before of (inc?.get('before') ?? '').split(/\s+/).filter(Boolean)) await readWithIncludes(t, dir, before, files, out, depth + 1);
  mergeInto(out, ini);
  for (const after of (inc?.get('after') ?? '').split(/\s+/).filter(Boolean)) await readWithIncludes(t, dir, after, files, out, depth + 1);
}

/** `%(name)s` from the jail, then [DEFAULT], up to 10 levels (fail2ban's limit is similar). */
function interpolate(v: string, jail: string, sec: Section, def: Section, depth = 0): string {
  if (depth > 10) return v;
  return v.replace(/%\(([^)]+)\)s/g, (all, key: string) => {
    if (key === '__name__') return jail;
    const r = sec.get(key) ?? def.get(key);
    return r === undefined ? all : interpolate(r, jail, sec, def, depth + 1);
  });
}

export async function readFail2banConfig(t: Target, dir = DEFAULT_CONF_DIR): Promise<Fail2banConfig | null> {
  const files: string[] = [];
  const jail = await readLayered(t, dir, 'jail', files);
  if (files.length === 0) return null;
  const serverFiles: string[] = [];
  const server = (await readLayered(t, dir, 'fail2ban', serverFiles)).get('Definition') ?? new Map<string, string>();
  const def = jail.get('DEFAULT') ?? new Map<string, string>();
  const jails: JailConfig[] = [];
  for (const [name, sec] of jail) {
    if (name === 'DEFAULT' || name === 'INCLUDES' || name === 'Definition' || name === 'Init') continue;
    const get = (k: string): string | undefined => {
      const v = sec.get(k) ?? def.get(k);
      return v === undefined ? undefined : interpolate(v, name, sec, def);
    };
    jails.push({
      name,
      enabled: /^(true|yes|1|on)$/i.test(get('enabled') ?? 'false'),
      filter: get('filter'),
      maxretry: get('maxretry') !== undefined ? Number(get('maxretry')) : undefined,
      findtime: parseDuration(get('findtime')),
      bantime: parseDuration(get('bantime')),
      banaction: get('banaction'),
      action: get('action')?.split('\n')[0],
      backend: get('backend'),
      logpath: get('logpath')
        ?.split('\n')
        .map((s) => s.trim())
        .filter(Boolean),
      port: get('port'),
    });
  }
  return { dir, files: [...files, ...serverFiles], jails, server: { socket: server.get('socket'), dbfile: server.get('dbfile'), logtarget: server.get('logtarget') } };
}
