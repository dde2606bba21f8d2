import { parseUnit as parseSystemdUnit, unitKeys } from '../../host/facts/systemd-unit.js';
import { posix } from 'node:path';
import pLimit from 'p-limit';
import type { DirEntry } from '../../host/target.js';
import { listOrEmpty } from '../../host/target.js';
import { parsePasswd, type Account } from '../../host/facts/passwd.js';
import type { SweepContext } from '../context.js';
import { dockerFacts } from './docker.js';

export interface AppUnit {
  name: string;
  path: string;
  user?: string;
  workingDirectory?: string;
  environmentFiles: string[];
  execStart?: string;
}

export interface App {
  /** the application's root directory (the app user's home when the unit's WorkingDirectory lies inside it) */
  dir: string;
  /** the account that runs it: the unit's User=, else the owner of the directory */
  user?: Account;
  /** how it was found: `systemd:gunicorn.service`, `compose:web`, `--app` */
  sources: string[];
  units: AppUnit[];
}

/** A systemd unit's keys by `Section.Key`, read by the one unit parser (host/facts/systemd-unit.ts). */
export function parseUnit(text: string): Map<string, string[]> {
  return unitKeys(parseSystemdUnit(text));
}

export function systemdServiceUnits(ctx: SweepContext): Promise<AppUnit[]> {
  return ctx.memo('units', async () => {
    const out: AppUnit[] = [];
    for (const e of await listOrEmpty(ctx.target, '/etc/systemd/system').catch(() => [])) {
      // symlinks there are aliases or masks of packaged units, not an admin's application
      if (e.stat.type !== 'file' || !e.name.endsWith('.service')) continue;
      const text = await ctx.read(e.path).catch(() => null);
      if (!text) continue;
      const u = parseUnit(text);
      const last = (k: string) => u.get(`Service.${k}`)?.at(-1);
      out.push({
        name: e.name,
        path: e.path,
        user: last('User'),
        workingDirectory: last('WorkingDirectory')?.replace(/^-/, ''),
        environmentFiles: (u.get('Service.EnvironmentFile') ?? []).map((f) => f.replace(/^-/, '')),
        execStart: last('ExecStart'),
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  });
}

export function accounts(ctx: SweepContext): Promise<Account[]> {
  return ctx.memo('passwd', async () => parsePasswd((await ctx.read('/etc/passwd')) ?? ''));
}

/** Applications from systemd units (WorkingDirectory, User), Compose working directories and --app. */
export function applications(ctx: SweepContext): Promise<App[]> {
  return ctx.memo('apps', async () => {
    const users = await accounts(ctx);
    const byName = (n?: string) => (n ? users.find((a) => a.name === n || String(a.uid) === n) : undefined);
    const apps = new Map<string, App>();
    const add = async (dir: string, source: string, unit?: AppUnit) => {
      let root = posix.normalize(dir).replace(/\/+$/, '') || '/';
      if (root === '/' || /^\/(proc|sys|dev|run|usr|bin|sbin|lib|etc)(\/|$)/.test(root)) return;
      const user = byName(unit?.user);
      // Setup guide: useradd -d /opt/shop, WorkingDirectory=/opt/shop/app/web/shop → the app is /opt/shop
      if (user && user.home !== '/' && !/^\/(root|home)(\/|$)/.test(user.home) && root.startsWith(user.home + '/')) root = user.home;
      const st = await ctx.target.stat(root).catch(() => null);
      if (st?.type !== 'dir') return;
      let app = apps.get(root);
      if (!app) {
        app = { dir: root, user: user ?? users.find((a) => a.uid === st.uid), sources: [], units: [] };
        apps.set(root, app);
      }
      if (!app.sources.includes(source)) app.sources.push(source);
      if (unit && !app.units.includes(unit)) app.units.push(unit);
      if (user && !app.user) app.user = user;
    };
    for (const u of await systemdServiceUnits(ctx)) if (u.workingDirectory && !u.workingDirectory.startsWith('~')) await add(u.workingDirectory, `systemd:${u.name}`, u);
    const d = await dockerFacts(ctx).catch(() => null);
    for (const c of d?.containers ?? []) if (c.workingDir) await add(c.workingDir, `compose:${c.project}`);
    for (const dir of ctx.opts.apps ?? []) await add(dir, '--app');
    return [...apps.values()].sort((a, b) => a.dir.localeCompare(b.dir));
  });
}

/** Every entry under the app (lstat, symlinks not followed), bounded in count and depth. */
export function walkApp(ctx: SweepContext, dir: string): Promise<{ entries: DirEntry[]; truncated: boolean }> {
  return ctx.memo(`walk:${dir}`, async () => {
    const entries: DirEntry[] = [];
    const limit = pLimit(16);
    let truncated = false;
    const root = await ctx.target.lstat(dir).catch(() => null);
    if (root) entries.push({ name: posix.basename(dir), path: dir, stat: root });
    const visit = async (d: string, depth: number): Promise<void> => {
      if (depth > ctx.knobs.appMaxDepth) return;
      const list = await limit(() => listOrEmpty(ctx.target, d).catch(() => []));
      const subdirs: string[] = [];
      for (const e of list) {
        if (entries.length >= ctx.knobs.appMaxEntries) {
          truncated = true;
          return;
        }
        entries.push(e);
        if (e.stat.type === 'dir' && !(ctx.knobs.appSkipDirs as readonly string[]).includes(e.name)) subdirs.push(e.path);
      }
      await Promise.all(subdirs.map((s) => visit(s, depth + 1)));
    };
    await visit(dir, 1);
    return { entries: entries.sort((a, b) => a.path.localeCompare(b.path)), truncated };
  });
}

const ENV_NAME = /^(\.env(\..+)?|.+\.env)$/;
const ENV_EXAMPLE = /\.(example|sample|template|dist)$/;

/** .env files of the app (walk) and the EnvironmentFile= of its units. */
export async function envFiles(ctx: SweepContext, app: App): Promise<string[]> {
  const { entries } = await walkApp(ctx, app.dir);
  const found = new Set(entries.filter((e) => e.stat.type === 'file' && ENV_NAME.test(e.name) && !ENV_EXAMPLE.test(e.name)).map((e) => e.path));
  for (const u of app.units) for (const f of u.environmentFiles) found.add(f);
  return [...found].sort();
}

/** KEY=VALUE lines (dotenv and systemd EnvironmentFile), quotes removed; never printed. */
export function parseEnv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (!m) continue;
    let v = m[2]!.trim();
    if (/^(['"]).*\1$/.test(v)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out.set(m[1]!, v);
  }
  return out;
}

export async function appEnv(ctx: SweepContext, app: App): Promise<Map<string, string>> {
  const env = new Map<string, string>();
  for (const f of await envFiles(ctx, app)) for (const [k, v] of parseEnv((await ctx.read(f).catch(() => null)) ?? '')) env.set(k, v);
  return env;
}
