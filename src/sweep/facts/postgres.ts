import { listOrEmpty } from '../../host/target.js';
import type { SweepContext } from '../context.js';

export interface PgConf {
  /** /etc/postgresql/VERSION/CLUSTER */
  dir: string;
  conf: string;
  hba: string;
}

/** Debian's clusters: /etc/postgresql/VERSION/CLUSTER/{postgresql.conf,pg_hba.conf}. */
export function pgClusters(ctx: SweepContext): Promise<PgConf[]> {
  return ctx.memo('pg', async () => {
    const out: PgConf[] = [];
    for (const v of await listOrEmpty(ctx.target, '/etc/postgresql').catch(() => [])) {
      if (v.stat.type !== 'dir') continue;
      for (const c of await listOrEmpty(ctx.target, v.path).catch(() => [])) {
        if (c.stat.type !== 'dir') continue;
        const conf = `${c.path}/postgresql.conf`;
        if (await ctx.target.stat(conf).catch(() => null)) out.push({ dir: c.path, conf, hba: `${c.path}/pg_hba.conf` });
      }
    }
    return out;
  });
}

export interface PgSetting {
  value: string;
  path: string;
  line: number;
}

/** postgresql.conf: `name = value` or `name value`, the last one wins; include_dir conf.d is read too. */
export async function pgSettings(ctx: SweepContext, conf: string): Promise<{ values: Map<string, PgSetting>; errors: { path: string; line: number; message: string }[] }> {
  const values = new Map<string, PgSetting>();
  const errors: { path: string; line: number; message: string }[] = [];
  const readOne = async (path: string, depth: number) => {
    if (depth > 4) return;
    const text = await ctx.read(path).catch(() => null);
    if (text === null) return;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/(^|\s)#.*$/, '').trim();
      if (!line) continue;
      const m = /^([A-Za-z_][\w.]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
      if (!m || m[2] === '') {
        errors.push({ path, line: i + 1, message: `syntax error near "${line.slice(0, 60)}"` });
        continue;
      }
      const key = m[1]!.toLowerCase();
      const value = m[2]!.trim().replace(/^'(.*)'$/, '$1');
      if (key === 'include_dir') {
        const dir = value.startsWith('/') ? value : `${path.replace(/\/[^/]+$/, '')}/${value}`;
        for (const e of (await listOrEmpty(ctx.target, dir).catch(() => [])).filter((e) => e.name.endsWith('.conf')).sort((a, b) => a.name.localeCompare(b.name))) await readOne(e.path, depth + 1);
      } else if (key === 'include' || key === 'include_if_exists') {
        await readOne(value.startsWith('/') ? value : `${path.replace(/\/[^/]+$/, '')}/${value}`, depth + 1);
      } else {
        values.set(key, { value, path, line: i + 1 });
      }
    }
  };
  await readOne(conf, 0);
  return { values, errors };
}
