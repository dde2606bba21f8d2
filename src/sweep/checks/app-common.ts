import { na, type Outcome } from '../check.js';
import type { SweepContext } from '../context.js';
import { applications, type App } from '../facts/apps.js';

export const SETUP_GUIDE = 'Setup guide';

/** One outcome per application found (subject: its directory), or "not applicable" when there is none. */
export async function perApp(ctx: SweepContext, fn: (app: App) => Promise<Outcome | null>): Promise<Outcome[]> {
  const apps = await applications(ctx);
  if (apps.length === 0) return [na('no application found (systemd WorkingDirectory, Compose working_dir or --app)', '/etc/systemd/system/*.service')];
  const out: Outcome[] = [];
  for (const app of apps) {
    const o = await fn(app);
    if (o) out.push({ subject: app.dir, ...o });
  }
  return out;
}

export const modeText = (m: number): string => m.toString(8).padStart(3, '0');

export function listSome(items: string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} … (+${items.length - max})`;
}
