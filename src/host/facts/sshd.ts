/**
 * sshd_config(5) and `sshd -T`: the one reader for the scan (AuthorizedKeysFile, doors left open) and
 * the sweep (hygiene checks). Offline it follows Include (globs, relative to /etc/ssh) and Match blocks
 * as sshd does and keeps every directive with its file and line; live, `sshd -T -f CONFIG` is the truth.
 */
import { posix } from 'node:path';
import type { Target } from '../target.js';
import { listOrEmpty, readTextOrNull } from '../target.js';
import { listProcesses } from '../proc.js';
import { globRegExp } from '../openssh-syntax.js';
import { textLines } from './passwd.js';

/** One keyword as written: lowercased key, raw value, where it is, and the Match block it sits in. */
export interface SshdDirective {
  key: string;
  value: string;
  file: string;
  line: number;
  /** the criteria of the Match block it belongs to; undefined for global settings */
  match?: string;
}

/** A line sshd would refuse: a keyword without a value, or a value sshd does not take for a keyword we know. */
export interface SshdProblem {
  message: string;
  path: string;
  line?: number;
}

/** sshd's effective settings: lowercase keywords, each with every value it was given (global and Match). */
export interface SshdConfig {
  /** the config file (`-f` of a running sshd, or /etc/ssh/sshd_config) */
  file: string;
  source: 'sshd -T' | 'file';
  /** global values, first one wins as in sshd (sshd -T: every line of its output) */
  global: Map<string, string>;
  /** values set inside Match blocks, with their criteria and where the block starts */
  matches: { criteria: string; options: Map<string, string>; file?: string; line?: number }[];
  /** every directive of the files (main config and Includes, in the order sshd reads them) */
  directives: SshdDirective[];
  /** the files read, in order */
  files: string[];
  problems: SshdProblem[];
  warnings: string[];
}

/** OpenSSH 9.x compiled-in defaults for the keywords ir judges (sshd_config(5)). */
export const SSHD_DEFAULTS: Record<string, string> = {
  permitrootlogin: 'prohibit-password',
  passwordauthentication: 'yes',
  pubkeyauthentication: 'yes',
  kbdinteractiveauthentication: 'yes',
  maxauthtries: '6',
  x11forwarding: 'no',
  permituserenvironment: 'no',
  authorizedkeysfile: '.ssh/authorized_keys .ssh/authorized_keys2',
};

/** Values sshd accepts for the keywords we check; anything else makes sshd refuse the file. */
const VALUES: Record<string, RegExp> = {
  permitrootlogin: /^(yes|no|prohibit-password|without-password|forced-commands-only)$/i,
  passwordauthentication: /^(yes|no)$/i,
  pubkeyauthentication: /^(yes|no)$/i,
  kbdinteractiveauthentication: /^(yes|no)$/i,
  challengeresponseauthentication: /^(yes|no)$/i,
  maxauthtries: /^\d+$/,
  x11forwarding: /^(yes|no)$/i,
};

const KEYWORD = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/;

/** The `-f` configs of running sshd listeners, read from /proc/PID/cmdline (setproctitle keeps the args). */
export async function runningSshdConfigs(t: Target): Promise<string[]> {
  if (!t.live) return [];
  const procs = await listProcesses(t).catch(() => []);
  const configs = new Set<string>();
  for (const p of procs) {
    let argv = p.argv;
    // OpenSSH rewrites its title: "sshd: /usr/sbin/sshd -D -f /etc/x [listener] 0 of 10-100 startups"
    if (argv.length === 1 && /^sshd: \//.test(argv[0]!)) argv = argv[0]!.replace(/^sshd: /, '').replace(/\s*\[listener\].*$/, '').split(/\s+/);
    if (!/(^|\/)sshd$/.test(argv[0] ?? '')) continue;
    if (p.ppid !== 1 && !argv.includes('-D') && !argv.some((a) => a.startsWith('-f'))) continue;
    const i = argv.indexOf('-f');
    const f = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('-f') && a.length > 2)?.slice(2);
    configs.add(f ?? '/etc/ssh/sshd_config');
  }
  return [...configs];
}

/** `sshd -T` output: one `keyword value` per line, repeated keywords (listenaddress) kept together. */
export function parseSshdT(text: string, file: string): SshdConfig {
  const global = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    global.set(key, global.has(key) ? `${global.get(key)}\n${m[2]}` : m[2]!);
  }
  return { file, source: 'sshd -T', global, matches: [], directives: [], files: [], problems: [], warnings: [] };
}

export type ReadText = (path: string) => Promise<string | null>;

/**
 * Offline: sshd_config with Include (globs in the last component, relative to /etc/ssh) and Match blocks,
 * as sshd reads it: the first value of a keyword wins, a Match block runs to the next Match or to the end
 * of the file it is in (an included file cannot leave one open for the file that includes it).
 */
export async function parseSshdConfigFile(t: Target, file: string, read: ReadText = (p) => readTextOrNull(t, p)): Promise<SshdConfig> {
  const cfg: SshdConfig = { file, source: 'file', global: new Map(), matches: [], directives: [], files: [], problems: [], warnings: [] };
  let current: Map<string, string> = cfg.global;
  let criteria: string | undefined;
  const readOne = async (path: string, depth: number): Promise<void> => {
    if (depth > 16 || cfg.files.includes(path)) return;
    const text = await read(path).catch((e: Error) => (cfg.warnings.push(e.message), null));
    if (text === null) {
      if (depth === 0) cfg.warnings.push(`${path}: not found`);
      return;
    }
    cfg.files.push(path);
    for (const [raw, n] of textLines(text)) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const m = KEYWORD.exec(line);
      if (!m || !m[2]!.trim()) {
        cfg.problems.push({ message: `${path} line ${n}: missing argument for ${line.split(/\s/)[0]}`, path, line: n });
        continue;
      }
      const key = m[1]!.toLowerCase();
      const value = m[2]!.trim();
      const re = VALUES[key];
      const bare = value.replace(/^"(.*)"$/, '$1');
      if (re && !re.test(bare)) cfg.problems.push({ message: `${path} line ${n}: unsupported value "${bare}" for ${m[1]}`, path, line: n });
      if (key === 'include') {
        for (const pat of value.split(/\s+/)) {
          const abs = pat.startsWith('/') ? pat : posix.join('/etc/ssh', pat);
          for (const p of await expandGlob(t, abs)) {
            // a Match block in an included file ends with that file (sshd parses each file with its own state)
            const [outer, outerCriteria] = [current, criteria];
            await readOne(p, depth + 1);
            [current, criteria] = [outer, outerCriteria];
          }
        }
        continue;
      }
      cfg.directives.push({ key, value, file: path, line: n, ...(criteria !== undefined && key !== 'match' ? { match: criteria } : {}) });
      if (key === 'match') {
        current = new Map();
        criteria = value;
        cfg.matches.push({ criteria: value, options: current, file: path, line: n });
      } else if (!current.has(key)) {
        current.set(key, value);
      }
    }
  };
  await readOne(file, 0);
  return cfg;
}

/** A glob in the last path component only (what sshd_config Include uses in practice), sorted as sshd does. */
async function expandGlob(t: Target, pattern: string): Promise<string[]> {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const dir = posix.dirname(pattern);
  const re = globRegExp(posix.basename(pattern));
  return (await listOrEmpty(t, dir)).filter((e) => re.test(e.name)).map((e) => e.path).sort();
}

/** Effective config of every running sshd (live, `sshd -T -f`, the files for the Match blocks), else the files. */
export async function sshdConfigs(t: Target): Promise<SshdConfig[]> {
  const files = t.live ? await runningSshdConfigs(t) : [];
  if (files.length === 0) files.push('/etc/ssh/sshd_config');
  const out: SshdConfig[] = [];
  for (const file of files) {
    const fromFile = await parseSshdConfigFile(t, file);
    if (t.live) {
      try {
        const res = await t.exec(['sshd', '-T', '-f', file], { privileged: true, timeoutMs: 10_000 });
        if (res.code === 0) {
          // sshd -T evaluates Match only for -C; the file still tells which Match blocks exist and where
          out.push({ ...parseSshdT(res.stdout.toString('utf8'), file), matches: fromFile.matches, directives: fromFile.directives, files: fromFile.files, problems: fromFile.problems, warnings: fromFile.warnings });
          continue;
        }
      } catch {
        /* sshd not installed here: fall back to the file */
      }
    }
    if (fromFile.global.size > 0 || fromFile.matches.length > 0 || t.live) out.push(fromFile);
  }
  return out;
}

/** AuthorizedKeysFile templates (global and every Match block), sshd's default when none is set. */
export function authorizedKeysTemplates(cfgs: SshdConfig[]): string[] {
  const out = new Set<string>();
  for (const c of cfgs) {
    for (const v of [c.global.get('authorizedkeysfile'), ...c.matches.map((m) => m.options.get('authorizedkeysfile'))]) {
      if (!v || v.toLowerCase() === 'none') continue;
      for (const p of v.split(/\s+/)) out.add(p);
    }
  }
  if (out.size === 0) SSHD_DEFAULTS.authorizedkeysfile!.split(' ').forEach((p) => out.add(p));
  return [...out];
}

/** `%h %u %U %%` tokens; a relative path is relative to the home directory, as sshd does. */
export function expandKeysPath(template: string, a: { name: string; uid: number; home: string }): string {
  const s = template.replace(/%(.)/g, (_, c: string) => (c === '%' ? '%' : c === 'h' ? a.home : c === 'u' ? a.name : c === 'U' ? String(a.uid) : `%${c}`));
  return s.startsWith('/') ? posix.normalize(s) : posix.join(a.home, s);
}

/**
 * A `-C` spec that makes sshd evaluate one Match block: the first positive pattern of each criterion,
 * wildcards filled in. `Group` needs a real account and is left to the caller.
 */
export function connectionSpecFor(criteria: string): string | null {
  const tokens = criteria.trim().split(/\s+/);
  const spec: Record<string, string> = { user: 'root', host: 'ir-sweep.invalid', addr: '192.0.2.10' };
  for (let i = 0; i < tokens.length; i++) {
    const key = tokens[i]!.toLowerCase();
    if (key === 'all') continue;
    const value = tokens[++i];
    if (!value) return null;
    const first = value.split(',').find((p) => !p.startsWith('!'));
    if (!first) continue;
    if (key === 'user') spec.user = first.replace(/[*?]/g, 'x');
    else if (key === 'host') spec.host = first.replace(/[*?]/g, 'x');
    else if (key === 'address') spec.addr = fillAddress(first);
    else if (key === 'localaddress') spec.laddr = fillAddress(first);
    else if (key === 'localport') spec.lport = first;
    else if (key === 'rdomain') spec.rdomain = first;
    else if (key === 'group') return null;
  }
  return Object.entries(spec)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function fillAddress(pattern: string): string {
  const bare = pattern.replace(/\/\d+$/, '');
  if (bare.includes(':')) return bare.replace(/\*/g, '1');
  const parts = bare.split('.').map((p) => (p.includes('*') || p.includes('?') ? '1' : p));
  while (parts.length < 4) parts.push('1');
  return parts.slice(0, 4).join('.');
}

/** sshd's message for a config it refuses: "/etc/ssh/sshd_config line 12: Bad configuration option: Foo". */
export function parseSshdError(stderr: string, file: string): SshdProblem {
  const first = stderr.split('\n').find((l) => l.trim()) ?? 'sshd -T failed';
  const m = /^(\/\S+?):? line (\d+): (.*)$/.exec(first.trim());
  return m ? { message: first.trim(), path: m[1]!, line: Number(m[2]) } : { message: first.trim(), path: file };
}
