import { broken, na, verdict, type Outcome } from '../check.js';
import type { SweepContext } from '../context.js';
import { djangoApp, type DjangoSetting } from '../facts/django.js';
import { perApp } from './app-common.js';

/** Judges Django settings per app; a value that cannot be evaluated is reported with its file and line. */
export function perDjangoApp(ctx: SweepContext, names: string[], ok: (values: Map<string, DjangoSetting | null>) => boolean, show: (values: Map<string, DjangoSetting | null>) => string): Promise<Outcome[]> {
  return perApp(ctx, async (app) => {
    const dj = await djangoApp(ctx, app);
    if (!dj) return na('not a Django application (no settings.py)', app.dir);
    const values = new Map(names.map((n) => [n, dj.get(n)]));
    const unknown = [...values.values()].find((v) => v && v.value === undefined);
    if (unknown) return broken(`cannot evaluate ${unknown.expr}${unknown.fromEnv ? ` (${unknown.fromEnv} not in .env)` : ''}`, `${unknown.path} line ${unknown.line}`, { path: unknown.path, line: unknown.line });
    const where = [...values.values()].find((v) => v);
    return verdict(ok(values), show(values), where ? `${where.path}${where.line ? ` line ${where.line}` : ''}${where.fromEnv ? ` (${where.fromEnv} from .env)` : ''}` : dj.settingsFiles.join(', '), where?.line ? { path: where.path, line: where.line } : {});
  });
}

export const shown = (name: string, v: DjangoSetting | null | undefined, dflt: string): string => `${name} = ${v ? String(v.value) : `unset (${dflt})`}`;
