import pLimit from 'p-limit';
import { posix } from 'node:path';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { classifyCommand, type CommandSignal } from '../rules/command-line.js';
import { judgeExecTargets } from '../rules/exec-target.js';
import { entriesOf, judgeScriptFile } from '../rules/judge-file.js';
import { homes } from '../rules/startup-files.js';
import { findOnHost, PRINT } from '../rules/find-files.js';
import { walk } from '../walk.js';
import { readBounded, NORMAL } from './util.js';
import { DEFAULT_ROOTS, SERVER_CONFIGS, webRoots } from './webshell.js';

const ATTACK = 'T1546';
const APP_DIRS = ['/srv', '/opt', '/var/www'];
const SYSTEM_CONFIG = '/etc/gitconfig';
const USER_CONFIGS = ['.gitconfig', '.config/git/config'];
const DOCKER_CONTAINERS = '/var/lib/docker/containers';
/** Trees a repository walk never enters: dependencies and caches hold thousands of files and no repository of the app. */
const PRUNE = /\/(node_modules|vendor|\.cache|\.npm|\.cargo|\.rustup|\.pyenv|\.m2|\.gradle|site-packages|__pycache__|\.venv|venv)$/;

/** Hooks git runs, by name (githooks(5)); a file by another name in hooks/ never runs. */
const HOOKS = new Set([
  'applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'pre-merge-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit',
  'pre-rebase', 'post-checkout', 'post-merge', 'pre-push', 'pre-receive', 'update', 'proc-receive', 'post-receive', 'post-update',
  'reference-transaction', 'push-to-checkout', 'pre-auto-gc', 'post-rewrite', 'sendemail-validate', 'fsmonitor-watchman', 'p4-changelist',
  'p4-prepare-changelist', 'p4-post-changelist', 'p4-pre-submit', 'post-index-change',
]);

/** Keys whose value git hands to a shell (or runs as a program) during ordinary commands. */
const COMMAND_KEYS = /^(core\.(pager|editor|sshcommand|fsmonitor|askpass|hookspath)|sequence\.editor|diff\.external|diff\.[^.]+\.(textconv|command)|merge\.[^.]+\.driver|filter\.[^.]+\.(clean|smudge|process)|credential(\..+)?\.helper|gpg(\.[^.]+)?\.program|uploadpack\.packobjectshook|pager\.[^.]+|alias\.[^.]+|interactive\.difffilter|sendemail\.(smtpserver|tocmd|cccmd))$/;

export interface GitConfigEntry {
  key: string;
  value: string;
  line: number;
  raw: string;
}

/** git-config(1) syntax: `[section "sub"]`, `key = value`, `;`/`#` comments, quoted values, backslash continuations. */
export function parseGitConfig(text: string): GitConfigEntry[] {
  const out: GitConfigEntry[] = [];
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i]!;
    const start = i + 1;
    while (/\\\r?$/.test(raw) && i + 1 < lines.length) raw = raw.replace(/\\\r?$/, '') + lines[++i]!;
    const sec = /^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\](.*)$/.exec(raw);
    let rest = raw;
    if (sec) {
      section = sec[2] !== undefined ? `${sec[1]!.toLowerCase()}.${sec[2]}` : sec[1]!.toLowerCase();
      rest = sec[3]!;
    }
    const kv = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(rest);
    if (!kv || !section) continue;
    out.push({ key: `${section}.${kv[1]!.toLowerCase()}`, value: unquoteGit(kv[2] ?? 'true'), line: start, raw: raw.trim() });
  }
  return out;
}

function unquoteGit(v: string): string {
  let out = '';
  let q = false;
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    if (ch === '"') q = !q;
    else if (ch === '\\' && i + 1 < v.length) {
      const n = v[++i]!;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
    } else if (!q && (ch === '#' || ch === ';')) break;
    else out += ch;
  }
  return out.trim();
}

/** What one config entry runs, judged: `!` aliases and the command-valued keys, by the command-line rules. */
export function judgeGitEntry(e: GitConfigEntry): { signals: CommandSignal[]; command?: string } {
  const k = e.key.toLowerCase();
  if (!COMMAND_KEYS.test(k)) return { signals: [] };
  if (k.startsWith('alias.') && !e.value.startsWith('!')) return { signals: [] };
  const command = k.startsWith('alias.') ? e.value.slice(1) : e.value;
  if (/^(true|false|yes|no|on|off|1|0|)$/i.test(command) && /^core\.(fsmonitor|pager)$|^pager\./.test(k)) return { signals: [] };
  const signals = classifyCommand(command);
  if (k === 'core.fsmonitor') signals.push({ rule: 'fsmonitor', severity: 'medium', reason: 'core.fsmonitor runs a program at every git status in the repository' });
  else if (k === 'core.hookspath' && !/^\.?git\/hooks\/?$|^\.githooks\/?$|^\.husky\/?/.test(command)) signals.push({ rule: 'hooks-path', severity: 'low', reason: `hooks are taken from ${command}` });
  else if (k === 'core.sshcommand' && !/^ssh(\s|$)/.test(command.replace(/^\/usr\/bin\//, ''))) signals.push({ rule: 'ssh-command', severity: 'low', reason: 'core.sshCommand runs something other than ssh on every fetch and push' });
  else if (/^filter\..+\.(clean|smudge|process)$/.test(k)) signals.push({ rule: 'filter', severity: 'low', reason: `${k} runs on every checkout or add` });
  return { signals, command };
}

async function judgeConfig(ctx: DetectorContext, c: Collector, path: string, who: string, seen: Set<string>, workTree?: string): Promise<string | undefined> {
  const file = await readBounded(ctx.target, c, path, 256 * 1024, { kind: 'git configuration file', normal: NORMAL.config });
  if (!file) return undefined;
  c.examined++;
  const entries = parseGitConfig(file.text);
  const hooksPath = entries.filter((e) => e.key === 'core.hookspath').pop()?.value;
  const hits = entries.map((e) => ({ e, ...judgeGitEntry(e) })).filter((h) => h.signals.length);
  if (hits.length === 0) return hooksPath;
  let severity: Severity = 'info';
  for (const h of hits) for (const s of h.signals) severity = maxSeverity(severity, s.severity);
  const top = hits.find((h) => h.signals.some((s) => s.severity === severity))!;
  const sig = top.signals.find((s) => s.severity === severity)!;
  c.add({
    rule: `git.${sig.rule}`,
    key: instanceKey('git', path, 'config'),
    contentHash: contentHash(file.text),
    severity,
    title: `git configuration runs a command (${top.e.key}): ${sig.reason}`,
    path,
    line: top.e.line,
    evidence: clip(top.e.raw, 400),
    attack: ATTACK,
    reason: [...new Set(hits.flatMap((h) => h.signals.map((s) => s.reason)))].concat([`git runs it for ${who} during ordinary commands (status, log, commit, fetch)`]).join('; '),
    remediation: `Preserve ${path} (ir collect), remove the entry (git config --unset ${top.e.key}), and look for what it started.`,
    mtime: isoFromEpochSeconds(file.stat.mtime),
    details: { entries: hits.map((h) => ({ key: h.e.key, line: h.e.line, value: clip(h.e.value, 300), rules: h.signals.map((s) => s.rule) })) },
  });
  for (const h of hits) {
    if (!h.command || !h.signals.some((s) => s.rule !== 'hooks-path')) continue;
    // git runs a repository's commands in its work tree: `fsmonitor = .git/fsm` is that file
    const cmd = workTree && /^[\w.-]+\//.test(h.command) ? `${workTree}/${h.command}` : h.command;
    await judgeExecTargets(ctx, c, cmd, { detector: 'git', attack: ATTACK, from: `${h.e.key} in ${path}`, kind: 'program run by git', unownedBase: 'low' }, seen);
  }
  return hooksPath;
}

/** The hooks of one repository (`.git/hooks` of a work tree, `hooks/` of a bare one) and its config. */
async function judgeRepo(ctx: DetectorContext, c: Collector, gitDir: string, seen: Set<string>): Promise<void> {
  const repo = gitDir.endsWith('/.git') ? gitDir.slice(0, -5) : gitDir;
  const hooksPath = await judgeConfig(ctx, c, `${gitDir}/config`, `anyone using ${repo}`, seen, repo);
  const dirs = [`${gitDir}/hooks`];
  if (hooksPath) dirs.push(hooksPath.startsWith('/') ? hooksPath : posix.join(repo, hooksPath));
  for (const dir of dirs) {
    for (const e of await entriesOf(c, ctx, dir)) {
      if (!HOOKS.has(e.name) || (e.stat.type !== 'file' && e.stat.type !== 'symlink')) continue;
      const st = e.stat.type === 'symlink' ? await ctx.target.stat(e.path).catch(() => null) : e.stat;
      // git runs only executable hooks
      if (!st || (st.mode & 0o111) === 0) continue;
      await judgeScriptFile(ctx, c, e.path, { detector: 'git', attack: ATTACK, kind: `git ${e.name} hook`, unownedBase: 'low', runs: `git runs it in ${repo} at every ${e.name.replace(/^(pre|post)-/, '')} (a deploy that pulls runs it as the deploying user)` });
    }
  }
}

/** Compose project directories (com.docker.compose.project.working_dir) from the containers' saved configs. */
async function composeDirs(ctx: DetectorContext, c: Collector): Promise<string[]> {
  const out = new Set<string>();
  for (const e of await entriesOf(c, ctx, DOCKER_CONTAINERS)) {
    if (e.stat.type !== 'dir') continue;
    const cfg = await readBounded(ctx.target, new Collector('git', 'persistence', ctx.target.name), `${e.path}/config.v2.json`, 1024 * 1024);
    const m = cfg && /"com\.docker\.compose\.project\.working_dir"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(cfg.text);
    if (m) out.add(JSON.parse(`"${m[1]}"`) as string);
  }
  return [...out];
}

export const git: Detector = {
  id: 'git',
  title: 'git hooks and git configuration that run commands (core.pager, core.editor, core.sshCommand, core.fsmonitor, ! aliases), in app and home directories',
  category: 'persistence',
  attack: [ATTACK],
  locations: [
    SYSTEM_CONFIG,
    ...USER_CONFIGS.map((f) => `~/${f}`),
    `${[...APP_DIRS, ...DEFAULT_ROOTS.filter((r) => !APP_DIRS.some((d) => r.startsWith(d + '/')))].join(' ')} (lstat: app directories and web roots)`,
    'in them, in the web roots of the server configuration (nginx root, Apache DocumentRoot), Compose project directories and home directories: **/.git/{config,hooks/*} and bare repositories **/*.git/{config,hooks/*}, found by one find on a live host (a walk offline)',
    'the hooks directory core.hooksPath names, and the file a command-valued key runs',
    ...SERVER_CONFIGS.map((p) => (p.endsWith('.conf') ? `${p} (web roots)` : `${p} ${p}/* (web roots)`)),
    `${DOCKER_CONTAINERS}/*/config.v2.json (Compose working_dir label)`,
  ],
  async run(ctx) {
    const c = new Collector('git', 'persistence', ctx.target.name);
    const seen = new Set<string>();
    await judgeConfig(ctx, c, SYSTEM_CONFIG, 'every user', seen);
    const hs = await homes(ctx);
    for (const h of hs) for (const f of USER_CONFIGS) await judgeConfig(ctx, c, posix.join(h.home, f), h.user, seen);
    const apps = new Set([...APP_DIRS, ...(await webRoots(ctx, c)), ...(await composeDirs(ctx, c))]);
    const repos: string[] = [];
    // app directories and homes are walked apart, each with its own budget: a huge home does not starve /srv
    for (const [label, roots] of [['app directories', [...apps]], ['home directories', hs.map((h) => h.home)]] as const) {
      const sorted = roots.filter((r) => r.split('/').length > 2 || APP_DIRS.includes(r) || r === '/root').sort();
      const top = sorted.filter((r, i) => !sorted.slice(0, i).some((p) => r === p || r.startsWith(p + '/')));
      const present: string[] = [];
      for (const r of top) if ((await ctx.target.lstat(r).catch(() => null))?.type === 'dir') present.push(r);
      // a live host: one find (one round trip over ssh) instead of a walk
      const skip = ['node_modules', 'vendor', '.cache', '.npm', '.cargo', '.rustup', '.pyenv', '.m2', '.gradle', 'site-packages', '__pycache__', '.venv', 'venv', ...(ctx.deep ? [] : ['.*'])];
      const found = await findOnHost(
        ctx.target,
        present,
        ['-maxdepth', ctx.deep ? '12' : '4', '(', '-type', 'd', '-name', '*.git', PRINT, '-prune', ')', '-o', '(', '-type', 'd', '(', ...skip.flatMap((n, i) => (i ? ['-o', '-name', n] : ['-name', n])), ')', '-prune', ')'],
        ctx.deep ? 100_000 : 5_000,
      );
      if (found) {
        repos.push(...found.found.map((f) => f.path));
        if (found.truncated) c.warn(`repository search of the ${label} stopped after ${found.found.length} repositories`);
        continue;
      }
      const res = await walk(
        ctx.target,
        present,
        (e) => {
          if (e.stat.type === 'dir' && e.name.endsWith('.git')) repos.push(e.path);
        },
        (dir, err) => c.warn(err.message, dir),
        {
          // a repository is not entered further; neither are dependency trees, nor (quick scan) hidden directories
          prune: (p) => p.endsWith('.git') || PRUNE.test(p) || (!ctx.deep && /\/\.[^/]+$/.test(p)),
          maxDepth: ctx.deep ? 12 : 4,
          maxEntries: ctx.deep ? 2_000_000 : 20_000,
        },
      );
      if (res.truncated) c.warn(`repository walk of the ${label} stopped after ${res.entries} entries (use --deep for more)`);
    }
    const limit = pLimit(8);
    await Promise.all(
      [...new Set(repos)].sort().map((r) =>
        limit(async () => {
          const head = await ctx.target.stat(`${r}/HEAD`).catch(() => null);
          if (head?.type === 'file') await judgeRepo(ctx, c, r, seen);
        }),
      ),
    );
    return c.result();
  },
};
