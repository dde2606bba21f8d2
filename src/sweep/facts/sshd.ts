import { posix } from 'node:path';
import { listOrEmpty } from '../../host/target.js';
import { parseSshdConfigFile, parseSshdT, runningSshdConfigs } from '../../scan/sshd.js';
import { argvText, type SweepContext } from '../context.js';

/** sshd's effective settings under one connection context (global, or one Match block). */
export interface SshdContextView {
  /** "global" or the Match criteria / -C spec it was evaluated with */
  label: string;
  settings: Map<string, string>;
  evidence: string;
}

export interface SshdView {
  file: string;
  source: 'sshd -T' | 'file';
  contexts: SshdContextView[];
  /** sshd refused the file, or a line does not parse: file and line */
  problem?: { message: string; path: string; line?: number };
  /** no such config file (and no sshd that could read it): the SSH checks are not applicable */
  absent?: boolean;
}

/** OpenSSH 9.x compiled-in defaults for the keywords the sweep checks (sshd_config(5)). */
export const SSHD_DEFAULTS: Record<string, string> = {
  permitrootlogin: 'prohibit-password',
  passwordauthentication: 'yes',
  pubkeyauthentication: 'yes',
  kbdinteractiveauthentication: 'yes',
  maxauthtries: '6',
  x11forwarding: 'no',
};

const VALUES: Record<string, RegExp> = {
  permitrootlogin: /^(yes|no|prohibit-password|without-password|forced-commands-only)$/i,
  passwordauthentication: /^(yes|no)$/i,
  pubkeyauthentication: /^(yes|no)$/i,
  kbdinteractiveauthentication: /^(yes|no)$/i,
  challengeresponseauthentication: /^(yes|no)$/i,
  maxauthtries: /^\d+$/,
  x11forwarding: /^(yes|no)$/i,
};

/**
 * A `-C` spec that makes sshd evaluate one Match block: the first positive pattern of each criterion,
 * wildcards filled in. `Group` needs a real account and is left to --ssh-match.
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

/** The files sshd would read: the main config and its Includes (glob in the last component), in order. */
async function configFiles(ctx: SweepContext, file: string, depth = 0, out: string[] = []): Promise<string[]> {
  if (depth > 16 || out.includes(file)) return out;
  const text = await ctx.read(file).catch(() => null);
  if (text === null) return out;
  out.push(file);
  for (const raw of text.split('\n')) {
    const m = /^\s*include\s+(.+)$/i.exec(raw);
    if (!m) continue;
    for (const pat of m[1]!.trim().split(/\s+/)) {
      const abs = pat.startsWith('/') ? pat : posix.join('/etc/ssh', pat);
      if (!/[*?[]/.test(abs)) {
        await configFiles(ctx, abs, depth + 1, out);
        continue;
      }
      const re = new RegExp('^' + posix.basename(abs).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
      const matches = (await listOrEmpty(ctx.target, posix.dirname(abs))).filter((e) => re.test(e.name)).map((e) => e.path).sort();
      for (const p of matches) await configFiles(ctx, p, depth + 1, out);
    }
  }
  return out;
}

/** Offline: a keyword without a value, or a value sshd would refuse for the keywords we check. */
export async function lintSshdConfig(ctx: SweepContext, file: string): Promise<SshdView['problem']> {
  for (const path of await configFiles(ctx, file)) {
    const lines = (await ctx.read(path))!.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (!line || line.startsWith('#')) continue;
      const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
      if (!m || !m[2]!.trim()) return { message: `${path} line ${i + 1}: missing argument for ${line.split(/\s/)[0]}`, path, line: i + 1 };
      const re = VALUES[m[1]!.toLowerCase()];
      const value = m[2]!.trim().replace(/^"(.*)"$/, '$1');
      if (re && !re.test(value)) return { message: `${path} line ${i + 1}: unsupported value "${value}" for ${m[1]}`, path, line: i + 1 };
    }
  }
  return undefined;
}

/** sshd's message for a config it refuses: "/etc/ssh/sshd_config line 12: Bad configuration option: Foo". */
export function parseSshdError(stderr: string, file: string): SshdView['problem'] {
  const first = stderr.split('\n').find((l) => l.trim()) ?? 'sshd -T failed';
  const m = /^(\/\S+?):? line (\d+): (.*)$/.exec(first.trim());
  return m ? { message: first.trim(), path: m[1]!, line: Number(m[2]) } : { message: first.trim(), path: file };
}

function withDefaults(settings: Map<string, string>): Map<string, string> {
  const out = new Map(settings);
  // ChallengeResponseAuthentication is the old name of KbdInteractiveAuthentication (OpenSSH 8.7)
  if (!out.has('kbdinteractiveauthentication') && out.has('challengeresponseauthentication')) out.set('kbdinteractiveauthentication', out.get('challengeresponseauthentication')!);
  for (const [k, v] of Object.entries(SSHD_DEFAULTS)) if (!out.has(k)) out.set(k, v);
  return out;
}

async function viewOf(ctx: SweepContext, file: string): Promise<SshdView> {
  const t = ctx.target;
  const fromFile = await parseSshdConfigFile(t, file);
  if (t.live) {
    const argv = ['sshd', '-T', '-f', file];
    const res = await ctx.run(argv, { timeoutMs: 10_000 });
    if (res) {
      if (res.code !== 0) return { file, source: 'sshd -T', contexts: [], problem: parseSshdError(res.stderr.toString('utf8'), file) };
      const contexts: SshdContextView[] = [{ label: 'global', settings: withDefaults(parseSshdT(res.stdout.toString('utf8'), file).global), evidence: argvText(argv) }];
      const specs = new Map<string, string>();
      for (const m of fromFile.matches) {
        const spec = connectionSpecFor(m.criteria);
        if (spec) specs.set(spec, `Match ${m.criteria}`);
      }
      for (const s of ctx.opts.sshMatch ?? []) specs.set(s, `-C ${s}`);
      for (const [spec, label] of specs) {
        const a = [...argv, '-C', spec];
        const r = await ctx.run(a, { timeoutMs: 10_000 });
        if (!r || r.code !== 0) continue;
        contexts.push({ label, settings: withDefaults(parseSshdT(r.stdout.toString('utf8'), file).global), evidence: argvText(a) });
      }
      return { file, source: 'sshd -T', contexts };
    }
  }
  if ((await ctx.read(file).catch(() => null)) === null) return { file, source: 'file', contexts: [], absent: true };
  const problem = await lintSshdConfig(ctx, file);
  const global = withDefaults(fromFile.global);
  const contexts: SshdContextView[] = [{ label: 'global', settings: global, evidence: file }];
  for (const m of fromFile.matches) {
    const merged = new Map(global);
    for (const [k, v] of m.options) merged.set(k, v);
    contexts.push({ label: `Match ${m.criteria}`, settings: withDefaults(merged), evidence: file });
  }
  return { file, source: 'file', contexts, problem };
}

/** Every sshd config to judge: --sshd-config, else those of the running sshd (live), else /etc/ssh/sshd_config. */
export function sshdViews(ctx: SweepContext): Promise<SshdView[]> {
  return ctx.memo('sshd', async () => {
    let files = ctx.opts.sshdConfigs ?? [];
    if (files.length === 0 && ctx.target.live) files = await runningSshdConfigs(ctx.target);
    if (files.length === 0) files = ['/etc/ssh/sshd_config'];
    return Promise.all(files.map((f) => viewOf(ctx, f)));
  });
}
