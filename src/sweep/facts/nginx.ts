import { posix } from 'node:path';
import { listOrEmpty } from '../../host/target.js';
import type { SweepContext } from '../context.js';

export interface NginxDirective {
  name: string;
  args: string;
  path: string;
  line: number;
}

export interface NginxConf {
  files: string[];
  directives: NginxDirective[];
}

async function expand(ctx: SweepContext, pattern: string): Promise<string[]> {
  const abs = pattern.startsWith('/') ? pattern : posix.join('/etc/nginx', pattern);
  if (!/[*?]/.test(abs)) return [abs];
  const re = new RegExp('^' + posix.basename(abs).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return (await listOrEmpty(ctx.target, posix.dirname(abs)).catch(() => [])).filter((e) => re.test(e.name)).map((e) => e.path).sort();
}

/** nginx.conf with its includes (sites-enabled/*, conf.d/*.conf): the simple directives with file and line. */
export function nginxConf(ctx: SweepContext): Promise<NginxConf | null> {
  return ctx.memo('nginx', async () => {
    const files: string[] = [];
    const directives: NginxDirective[] = [];
    const readOne = async (path: string, depth: number): Promise<void> => {
      if (depth > 8 || files.includes(path)) return;
      const text = await ctx.read(path).catch(() => null);
      if (text === null) return;
      files.push(path);
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        for (const stmt of lines[i]!.replace(/#.*$/, '').split(/[;{}]/)) {
          const m = /^\s*([a-z_]+)\s+(.+?)\s*$/.exec(stmt);
          if (!m) continue;
          if (m[1] === 'include') {
            for (const f of await expand(ctx, m[2]!.replace(/^["']|["']$/g, ''))) await readOne(f, depth + 1);
          } else directives.push({ name: m[1]!, args: m[2]!, path, line: i + 1 });
        }
      }
    };
    await readOne('/etc/nginx/nginx.conf', 0);
    return files.length ? { files, directives } : null;
  });
}
