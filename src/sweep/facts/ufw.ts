import { argvText, type SweepContext } from '../context.js';

export interface UfwRule {
  /** "22/tcp", "80,443/tcp", "6379", "Nginx Full" */
  to: string;
  action: string;
  from: string;
  /** ports the rule opens, null when it names an app profile we do not know */
  ports: number[] | null;
  /** allowed from anywhere (not only from an address range) */
  anywhere: boolean;
  raw: string;
}

export interface UfwFacts {
  installed: boolean;
  active: boolean | null;
  /** incoming default: deny | reject | allow */
  defaultIncoming: string | null;
  rules: UfwRule[];
  evidence: string;
}

/** ufw's shipped application profiles that the guides use. */
const APP_PORTS: Record<string, number[]> = { openssh: [22], 'nginx full': [80, 443], 'nginx http': [80], 'nginx https': [443], 'apache full': [80, 443], apache: [80], 'apache secure': [443], www: [80], 'www secure': [443], 'www full': [80, 443] };

export function portsOf(to: string): number[] | null {
  const spec = to.replace(/\s*\(v6\)$/, '').trim();
  const m = /^([\d,:]+)(\/(tcp|udp))?$/.exec(spec.split(/\s+on\s+/)[0]!);
  if (!m) return APP_PORTS[spec.toLowerCase()] ?? null;
  const out: number[] = [];
  for (const part of m[1]!.split(',')) {
    const [a, b] = part.split(':').map(Number);
    if (b === undefined) out.push(a!);
    else for (let p = a!; p <= b && out.length < 70000; p++) out.push(p);
  }
  return out;
}

/** `ufw status verbose`: Status, Default and the To / Action / From table. */
export function parseUfwStatus(text: string): Omit<UfwFacts, 'installed' | 'evidence'> {
  const active = /^Status:\s*active/m.test(text) ? true : /^Status:\s*inactive/m.test(text) ? false : null;
  const def = /^Default:\s*(\w+)\s*\(incoming\)/m.exec(text);
  const rules: UfwRule[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (/^To\s+Action\s+From/.test(line)) {
      inTable = true;
      continue;
    }
    if (!inTable || /^-+/.test(line) || !line.trim()) continue;
    const m = /^(.+?)\s{2,}((?:ALLOW|DENY|REJECT|LIMIT)(?: (?:IN|OUT|FWD))?)\s{2,}(.+)$/.exec(line.trim());
    if (!m) continue;
    const from = m[3]!.trim();
    rules.push({ to: m[1]!.trim(), action: m[2]!, from, ports: portsOf(m[1]!.trim()), anywhere: /^Anywhere/.test(from), raw: line.trim() });
  }
  return { active, defaultIncoming: def ? def[1]!.toLowerCase() : null, rules };
}

/** /etc/ufw/user.rules: `### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in` (offline). */
export function parseUfwUserRules(text: string): UfwRule[] {
  const out: UfwRule[] = [];
  for (const line of text.split('\n')) {
    const m = /^### tuple ### (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, action, proto, dport, , , src, rest] = m;
    if (/\bout$/.test(rest!.trim())) continue;
    const app = /^ (\S+) /.exec(rest!)?.[1];
    const to = app && app !== '-' ? decodeURIComponent(app) : `${dport}${proto === 'any' ? '' : `/${proto}`}`;
    out.push({ to, action: action!.toUpperCase(), from: src!, ports: portsOf(to), anywhere: src === '0.0.0.0/0' || src === '::/0', raw: line.trim() });
  }
  return out;
}

/**
 * What ufw is asked live. Not declared to the remote batch: the batch runs its commands one after the
 * other before it reads files, and ufw (Python) takes 0.2 s to start; on a kept-open shell it runs
 * while the other checks work (one round trip).
 */
export const UFW_STATUS = ['ufw', 'status', 'verbose'];

export function ufwFacts(ctx: SweepContext): Promise<UfwFacts> {
  return ctx.memo('ufw', async () => {
    const t = ctx.target;
    const installed = Boolean(await t.stat('/usr/sbin/ufw').catch(() => null)) || Boolean(await t.stat('/lib/ufw/ufw-init').catch(() => null));
    if (!installed) return { installed, active: null, defaultIncoming: null, rules: [], evidence: '/usr/sbin/ufw' };
    if (t.live) {
      const argv = UFW_STATUS;
      const res = await ctx.run(argv);
      if (res && res.code === 0) return { installed, ...parseUfwStatus(res.stdout.toString('utf8')), evidence: argvText(argv) };
    }
    // offline (or ufw refused to run): the files ufw itself reads at boot
    const conf = (await ctx.read('/etc/ufw/ufw.conf')) ?? '';
    const defaults = (await ctx.read('/etc/default/ufw')) ?? '';
    const enabled = /^\s*ENABLED\s*=\s*"?(\w+)"?/m.exec(conf)?.[1];
    const input = /^\s*DEFAULT_INPUT_POLICY\s*=\s*"?(\w+)"?/m.exec(defaults)?.[1];
    const rules = [...parseUfwUserRules((await ctx.read('/etc/ufw/user.rules')) ?? ''), ...parseUfwUserRules((await ctx.read('/etc/ufw/user6.rules')) ?? '')];
    return {
      installed,
      active: enabled ? enabled.toLowerCase() === 'yes' : null,
      defaultIncoming: input ? ({ DROP: 'deny', REJECT: 'reject', ACCEPT: 'allow' }[input.toUpperCase()] ?? input.toLowerCase()) : null,
      rules,
      evidence: '/etc/ufw/ufw.conf, /etc/default/ufw, /etc/ufw/user.rules',
    };
  });
}
