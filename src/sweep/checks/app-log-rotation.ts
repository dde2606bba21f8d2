import { listOrEmpty } from '../../host/target.js';
import { na, verdict, type SweepCheck } from '../check.js';
import type { SweepContext } from '../context.js';
import { walkApp } from '../facts/apps.js';
import { listSome, SETUP_GUIDE, perApp } from './app-common.js';
import { dockerCommands } from '../facts/docker.js';

/** Path patterns of /etc/logrotate.conf and logrotate.d: the words before each `{`. */
export async function logrotatePatterns(ctx: SweepContext): Promise<RegExp[]> {
  return ctx.memo('logrotate', async () => {
    const files = ['/etc/logrotate.conf', ...(await listOrEmpty(ctx.target, '/etc/logrotate.d').catch(() => [])).filter((e) => e.stat.type === 'file').map((e) => e.path)];
    const out: RegExp[] = [];
    for (const f of files) {
      const text = (await ctx.read(f).catch(() => null)) ?? '';
      for (const m of text.replace(/#.*$/gm, '').matchAll(/([^{}]*)\{/g)) {
        for (const word of m[1]!.trim().split(/\s+/)) {
          const p = word.replace(/^"|"$/g, '');
          if (!p.startsWith('/')) continue;
          out.push(new RegExp('^' + p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$'));
        }
      }
    }
    return out;
  });
}

export const appLogRotation: SweepCheck = {
  id: 'IR-LOG-001',
  title: 'Application logs are rotated (logrotate)',
  area: 'app',
  severity: 'low',
  expected: 'every *.log under the app matched by a logrotate pattern',
  remediation: '/etc/logrotate.d/APP with APP/logs/*.log { daily rotate 14 compress … create 0640 APPUSER APPUSER }',
  source: `${SETUP_GUIDE} §10 Set Up Log Rotation, checklist "Logging configured and monitored"`,
  lynis: 'LOGG-2146',
  reads: ['APP/**/*.log', '/etc/logrotate.conf', '/etc/logrotate.d/*', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  run: (ctx) =>
    perApp(ctx, async (app) => {
      const logs = (await walkApp(ctx, app.dir)).entries.filter((e) => e.stat.type === 'file' && /\.log$/.test(e.name)).map((e) => e.path);
      if (logs.length === 0) return na('no *.log file under the application', app.dir);
      const patterns = await logrotatePatterns(ctx);
      const bad = logs.filter((l) => !patterns.some((re) => re.test(l)));
      return verdict(bad.length === 0, bad.length ? `not rotated: ${listSome(bad)}` : `${logs.length} log file(s) rotated`, '/etc/logrotate.d/*');
    }),
};
