import type { SweepContext } from '../context.js';
import { appEnv, walkApp, type App } from './apps.js';

export interface DjangoSetting {
  /** true / false / a number / a string; undefined when the expression cannot be evaluated */
  value: boolean | number | string | undefined;
  expr: string;
  path: string;
  line: number;
  /** the environment variable it came from, when read from .env */
  fromEnv?: string;
}

export interface DjangoApp {
  settingsFiles: string[];
  get(name: string): DjangoSetting | null;
}

const TRUE = /^(true|1|yes|on)$/i;
const FALSE = /^(false|0|no|off|)$/i;

function literal(expr: string): boolean | number | string | undefined {
  const e = expr.trim();
  if (e === 'True') return true;
  if (e === 'False') return false;
  if (/^\d+(\s*\*\s*\d+)*$/.test(e)) return e.split('*').reduce((a, b) => a * Number(b), 1);
  const s = /^(['"])(.*)\1$/.exec(e);
  return s ? s[2] : undefined;
}

/**
 * Evaluates the shapes settings.py uses for one value: a literal, `os.getenv('X', 'False').lower() == 'true'`,
 * `os.environ.get('X')`, `env.bool('X', default=False)`, `config('X', default=False, cast=bool)`.
 */
export function evaluateSetting(expr: string, env: Map<string, string>): { value: DjangoSetting['value']; fromEnv?: string } {
  const lit = literal(expr);
  if (lit !== undefined) return { value: lit };
  const m = /(?:os\.getenv|os\.environ\.get|environ\.get|env(?:\.bool|\.int|\.str)?|config)\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*(?:,\s*(?:default\s*=\s*)?([^,)]+))?/.exec(expr) ?? /os\.environ\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]()/.exec(expr);
  if (!m) return { value: undefined };
  const name = m[1]!;
  let raw = env.get(name);
  if (raw === undefined) {
    const def = m[2] === undefined ? undefined : literal(m[2]);
    if (def === undefined) return { value: undefined, fromEnv: name };
    raw = String(def === true ? 'True' : def === false ? 'False' : def);
  }
  const cmp = /==\s*['"]([^'"]*)['"]/.exec(expr);
  if (cmp) return { value: (/\.lower\(\)/.test(expr) ? raw.toLowerCase() : raw) === cmp[1], fromEnv: name };
  if (/bool|cast\s*=\s*bool/.test(expr) || TRUE.test(raw) || FALSE.test(raw)) return { value: TRUE.test(raw) ? true : FALSE.test(raw) ? false : undefined, fromEnv: name };
  if (/^\d+$/.test(raw)) return { value: Number(raw), fromEnv: name };
  return { value: raw, fromEnv: name };
}

/** settings.py (and settings/*.py) of a Django app, with its .env. */
export function djangoApp(ctx: SweepContext, app: App): Promise<DjangoApp | null> {
  return ctx.memo(`django:${app.dir}`, async () => {
    const { entries } = await walkApp(ctx, app.dir);
    const files = entries.filter((e) => e.stat.type === 'file' && (e.name === 'settings.py' || /\/settings\/[^/]+\.py$/.test(e.path)) && !/\/(site-packages|venv|\.venv|node_modules)\//.test(e.path)).map((e) => e.path);
    const env = await appEnv(ctx, app);
    if (files.length === 0 && !env.has('DEBUG')) return null;
    const texts = await Promise.all(files.map(async (f) => ({ f, lines: ((await ctx.read(f).catch(() => null)) ?? '').split('\n') })));
    return {
      settingsFiles: files,
      get(name) {
        let found: DjangoSetting | null = null;
        for (const { f, lines } of texts) {
          lines.forEach((l, i) => {
            const m = new RegExp(`^${name}\\s*=\\s*(.+?)\\s*(#.*)?$`).exec(l);
            if (!m) return;
            const ev = evaluateSetting(m[1]!, env);
            found = { value: ev.value, expr: m[1]!, path: f, line: i + 1, fromEnv: ev.fromEnv };
          });
        }
        if (!found && env.has(name)) {
          const v = env.get(name)!;
          found = { value: TRUE.test(v) ? true : FALSE.test(v) ? false : v, expr: `${name} (.env)`, path: '.env', line: 0, fromEnv: name };
        }
        return found;
      },
    };
  });
}
