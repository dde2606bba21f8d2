import { posix } from 'node:path';
import type { Target } from '../host/target.js';
import { listOrEmpty, readTextOrNull } from '../host/target.js';
import { listProcesses } from '../host/proc.js';
import { globRegExp, keywordLines } from '../host/openssh-syntax.js';

/** sshd's effective settings: lowercase keywords, each with every value it was given (global and Match). */
export interface SshdConfig {
  /** the config file (`-f` of a running sshd, or /etc/ssh/sshd_config) */
  file: string;
  source: 'sshd -T' | 'file';
  /** global values, first one wins as in sshd */
  global: Map<string, string>;
  /** values set inside Match blocks, with their criteria */
  matches: { criteria: string; options: Map<string, string> }[];
  warnings: string[];
}

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

export function parseSshdT(text: string, file: string): SshdConfig {
  const global = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    // sshd -T prints repeated keywords (e.g. listenaddress) on several lines: keep them all
    global.set(key, global.has(key) ? `${global.get(key)}\n${m[2]}` : m[2]!);
  }
  return { file, source: 'sshd -T', global, matches: [], warnings: [] };
}

/** Offline: sshd_config with Include (globs, relative to /etc/ssh) and Match blocks, as sshd reads it. */
export async function parseSshdConfigFile(t: Target, file: string): Promise<SshdConfig> {
  const cfg: SshdConfig = { file, source: 'file', global: new Map(), matches: [], warnings: [] };
  let current: Map<string, string> = cfg.global;
  const seen = new Set<string>();
  const readOne = async (path: string, depth: number): Promise<void> => {
    if (depth > 16 || seen.has(path)) return;
    seen.add(path);
    const text = await readTextOrNull(t, path).catch((e: Error) => (cfg.warnings.push(e.message), null));
    if (text === null) {
      if (depth === 0) cfg.warnings.push(`${path}: not found`);
      return;
    }
    for (const { key, value } of keywordLines(text)) {
      if (key === 'include') {
        for (const pat of value.split(/\s+/)) {
          const abs = pat.startsWith('/') ? pat : posix.join('/etc/ssh', pat);
          for (const p of await expandGlob(t, abs)) await readOne(p, depth + 1);
        }
      } else if (key === 'match') {
        current = new Map();
        cfg.matches.push({ criteria: value, options: current });
      } else if (!current.has(key)) {
        current.set(key, value);
      }
    }
  };
  await readOne(file, 0);
  return cfg;
}

/** A glob in the last path component only (what sshd_config Include uses in practice). */
async function expandGlob(t: Target, pattern: string): Promise<string[]> {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const dir = posix.dirname(pattern);
  const re = globRegExp(posix.basename(pattern));
  return (await listOrEmpty(t, dir)).filter((e) => re.test(e.name)).map((e) => e.path);
}

/** Effective config of every running sshd (live, `sshd -T -f`), else the files. */
export async function sshdConfigs(t: Target): Promise<SshdConfig[]> {
  const files = t.live ? await runningSshdConfigs(t) : [];
  if (files.length === 0) files.push('/etc/ssh/sshd_config');
  const out: SshdConfig[] = [];
  for (const file of files) {
    let fromFile: SshdConfig | null = null;
    if (t.live) {
      try {
        const res = await t.exec(['sshd', '-T', '-f', file], { privileged: true, timeoutMs: 10_000 });
        if (res.code === 0) {
          const cfg = parseSshdT(res.stdout.toString('utf8'), file);
          // sshd -T evaluates Match only for -C; the file still tells which Match blocks exist
          fromFile = await parseSshdConfigFile(t, file);
          cfg.matches = fromFile.matches;
          out.push(cfg);
          continue;
        }
      } catch {
        /* sshd not installed here: fall back to the file */
      }
    }
    fromFile ??= await parseSshdConfigFile(t, file);
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
  if (out.size === 0) ['.ssh/authorized_keys', '.ssh/authorized_keys2'].forEach((p) => out.add(p));
  return [...out];
}

/** `%h %u %U %%` tokens; a relative path is relative to the home directory, as sshd does. */
export function expandKeysPath(template: string, a: { name: string; uid: number; home: string }): string {
  const s = template.replace(/%(.)/g, (_, c: string) => (c === '%' ? '%' : c === 'h' ? a.home : c === 'u' ? a.name : c === 'U' ? String(a.uid) : `%${c}`));
  return s.startsWith('/') ? posix.normalize(s) : posix.join(a.home, s);
}
