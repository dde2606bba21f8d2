import { posix } from 'node:path';
import { listOrEmpty } from '../../host/target.js';
import { argvText, type SweepContext } from '../context.js';
import { interpolate, parseIni, type IniParse, type IniSections } from './ini.js';

export interface JailValue {
  value: string;
  /** `fail2ban-client … get sshd maxretry` or `jail.local line 4` */
  evidence: string;
  path?: string;
  line?: number;
}

export interface Fail2banFacts {
  dir: string;
  installed: boolean;
  installEvidence: string;
  /** merged jail configuration (jail.conf, jail.d/*.conf, jail.local, jail.d/*.local, with [INCLUDES]) */
  sections: IniSections;
  files: string[];
  errors: IniParse['errors'];
  /** null offline; otherwise what the server said */
  server: null | { running: boolean; evidence: string; reason?: string; jails: string[] };
  /** the effective value for a jail: the server's when it answers, else the configuration's */
  get(jail: string, key: 'maxretry' | 'bantime' | 'findtime' | 'actions' | 'logpath' | 'backend' | 'enabled' | 'banaction' | 'action'): Promise<JailValue | undefined>;
}

const BINARIES = ['/usr/bin/fail2ban-client', '/usr/local/bin/fail2ban-client', '/usr/sbin/fail2ban-client'];

/** Loads one file after its [INCLUDES] `before` and before its `after` files, as fail2ban does. */
async function loadWithIncludes(ctx: SweepContext, dir: string, path: string, into: IniSections, out: { files: string[]; errors: IniParse['errors'] }, depth = 0): Promise<void> {
  if (depth > 8 || out.files.includes(path)) return;
  const text = await ctx.read(path).catch(() => null);
  if (text === null) return;
  const own = parseIni(text, path, new Map());
  const inc = own.sections.get('INCLUDES');
  const rel = (v?: string) => (v ?? '').split(/\s+/).filter(Boolean).map((f) => (f.startsWith('/') ? f : posix.join(dir, f)));
  for (const f of rel(inc?.get('before')?.value)) await loadWithIncludes(ctx, dir, f, into, out, depth + 1);
  out.files.push(path);
  out.errors.push(...own.errors);
  parseIni(text, path, into);
  for (const f of rel(inc?.get('after')?.value)) await loadWithIncludes(ctx, dir, f, into, out, depth + 1);
}

/** fail2ban time values: seconds, or `1h`, `10m`, `365d`, `1w 2d`; -1 is a permanent ban. */
export function parseFail2banTime(s: string): number | null {
  const v = s.trim().toLowerCase();
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const units: Record<string, number> = { y: 31536000, mo: 2592000, w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
  let total = 0;
  let matched = false;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)\s*(years?|yy?|months?|mo|weeks?|wk|w|days?|dd?|hours?|hr|hh?|minutes?|mins?|mi|mm?|seconds?|secs?|ss?)/g)) {
    matched = true;
    const u = m[2]!;
    const key = /^y/.test(u) ? 'y' : /^mo/.test(u) ? 'mo' : /^w/.test(u) ? 'w' : /^d/.test(u) ? 'd' : /^h/.test(u) ? 'h' : /^m/.test(u) ? 'm' : 's';
    total += Number(m[1]) * units[key]!;
  }
  return matched ? total : null;
}

export function fail2banFacts(ctx: SweepContext): Promise<Fail2banFacts> {
  return ctx.memo('fail2ban', async () => {
    const t = ctx.target;
    const dir = ctx.opts.fail2banDir ?? '/etc/fail2ban';
    let installed = false;
    let installEvidence = '';
    for (const b of BINARIES) {
      if (await t.stat(b).catch(() => null)) {
        installed = true;
        installEvidence = b;
        break;
      }
    }
    const sections: IniSections = new Map();
    const acc = { files: [] as string[], errors: [] as IniParse['errors'] };
    const confs = async (suffix: string) =>
      (await listOrEmpty(t, `${dir}/jail.d`).catch(() => []))
        .filter((e) => e.name.endsWith(suffix))
        .map((e) => e.path)
        .sort();
    for (const f of [`${dir}/jail.conf`, ...(await confs('.conf')), `${dir}/jail.local`, ...(await confs('.local'))]) {
      await loadWithIncludes(ctx, dir, f, sections, acc);
    }
    if (!installed && acc.files.length > 0) installEvidence = `${dir} exists but no fail2ban-client binary`;
    if (!installed) installEvidence ||= `none of ${BINARIES.join(', ')}`;

    let server: Fail2banFacts['server'] = null;
    const client = ['fail2ban-client', '-c', dir];
    if (t.live && installed) {
      const ping = await ctx.run([...client, 'ping'], { timeoutMs: 10_000 });
      if (!ping || ping.code !== 0 || !/pong/.test(ping.stdout.toString())) {
        const why = (ping?.stdout.toString().trim() || ping?.stderr.toString().replace(/^.*ERROR\s+/m, '').trim() || 'fail2ban-client did not answer').split('\n')[0]!;
        server = { running: false, evidence: argvText([...client, 'ping']), reason: why, jails: [] };
      } else {
        const st = await ctx.run([...client, 'status'], { timeoutMs: 10_000 });
        const m = /Jail list:\s*(.*)$/m.exec(st?.stdout.toString() ?? '');
        server = { running: true, evidence: argvText([...client, 'status']), jails: (m?.[1] ?? '').split(/,\s*/).map((s) => s.trim()).filter(Boolean) };
      }
    }

    const fromConfig = (jail: string, key: string): JailValue | undefined => {
      const v = sections.get(jail)?.get(key) ?? sections.get('DEFAULT')?.get(key);
      if (!v) return undefined;
      return { value: interpolate(sections, jail, v.value), evidence: `${v.path} line ${v.line}`, path: v.path, line: v.line };
    };
    const liveGet = async (jail: string, key: string): Promise<JailValue | undefined> => {
      const argv = [...client, 'get', jail, key];
      const res = await ctx.run(argv, { timeoutMs: 10_000 });
      if (!res || res.code !== 0) return undefined;
      let out = res.stdout.toString().trim();
      // "The jail sshd has the following actions:\ndummy" / "Current monitored log file(s):\n`- /var/log/auth.log"
      if (key === 'actions' || key === 'logpath') out = out.split('\n').slice(1).map((l) => l.replace(/^[|`]-\s*/, '').trim()).filter(Boolean).join('\n');
      return { value: out, evidence: argvText(argv) };
    };
    return {
      dir,
      installed,
      installEvidence,
      sections,
      files: acc.files,
      errors: acc.errors,
      server,
      async get(jail, key) {
        if (server?.running && server.jails.includes(jail) && ['maxretry', 'bantime', 'findtime', 'actions', 'logpath'].includes(key)) {
          const v = await liveGet(jail, key);
          if (v) return v;
        }
        if (key === 'actions') {
          const action = fromConfig(jail, 'action');
          if (!action) return undefined;
          // action = %(action_)s → "iptables-multiport[name=…]": the names before "[" on each line
          const names = action.value.split('\n').map((l) => l.trim().split('[')[0]!.trim()).filter(Boolean);
          return { ...action, value: names.join('\n') };
        }
        return fromConfig(jail, key);
      },
    };
  });
}
