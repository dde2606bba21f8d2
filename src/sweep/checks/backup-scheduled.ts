import { listOrEmpty } from '../../host/target.js';
import { parseCrontab } from '../../host/facts/crontab.js';
import { verdict, type SweepCheck } from '../check.js';
import type { SweepContext } from '../context.js';
import { parseUnit } from '../facts/apps.js';

/** Where a backup job can be scheduled: crontabs, periodic cron scripts, systemd timers (and the script they run). */
async function backupJobs(ctx: SweepContext): Promise<string[]> {
  const re = ctx.knobs.backupCommands;
  const found: string[] = [];
  const t = ctx.target;
  const crontabs: [string, boolean][] = [['/etc/crontab', true]];
  for (const e of await listOrEmpty(t, '/etc/cron.d').catch(() => [])) crontabs.push([e.path, true]);
  for (const dir of ['/var/spool/cron/crontabs', '/var/spool/cron']) for (const e of await listOrEmpty(t, dir).catch(() => [])) if (e.stat.type === 'file') crontabs.push([e.path, false]);
  const scriptMatches = async (cmd: string): Promise<boolean> => {
    if (re.test(cmd)) return true;
    // the job often calls a script: look one level into it
    const script = cmd.split(/\s+/).find((w) => w.startsWith('/'));
    if (!script) return false;
    const text = await ctx.read(script).catch(() => null);
    return text !== null && re.test(text);
  };
  for (const [path, system] of crontabs) {
    const text = await ctx.read(path).catch(() => null);
    if (!text) continue;
    for (const e of parseCrontab(text, system).entries) if (await scriptMatches(e.command)) found.push(`${path} line ${e.line}: ${e.schedule} ${e.command.slice(0, 80)}`);
  }
  for (const period of ['hourly', 'daily', 'weekly', 'monthly']) {
    for (const e of await listOrEmpty(t, `/etc/cron.${period}`).catch(() => [])) {
      const text = await ctx.read(e.path).catch(() => null);
      if (text && re.test(text)) found.push(`${e.path}`);
    }
  }
  for (const e of await listOrEmpty(t, '/etc/systemd/system').catch(() => [])) {
    if (!e.name.endsWith('.timer')) continue;
    const timer = parseUnit((await ctx.read(e.path).catch(() => null)) ?? '');
    const svc = timer.get('Timer.Unit')?.at(-1) ?? e.name.replace(/\.timer$/, '.service');
    const unit = parseUnit((await ctx.read(`/etc/systemd/system/${svc}`).catch(() => null)) ?? '');
    for (const cmd of unit.get('Service.ExecStart') ?? []) if (await scriptMatches(cmd.replace(/^[-@:+!]+/, ''))) found.push(`${e.path} → ${svc}: ${cmd.slice(0, 80)}`);
  }
  return found;
}

export const backupScheduled: SweepCheck = {
  id: 'IR-BAK-001',
  title: 'A backup job is scheduled',
  area: 'app',
  severity: 'medium',
  expected: 'a cron job or systemd timer running pg_dump, restic, borg or the like',
  remediation: 'A daily timer (or cron.d entry) running pg_dump -Fc to storage off the host; test a restore.',
  source: 'Setup guide checklist "Regular backups scheduled"',
  reads: ['/etc/crontab', '/etc/cron.d/*', '/var/spool/cron/crontabs/*', '/var/spool/cron/*', '/etc/cron.{hourly,daily,weekly,monthly}/*', '/etc/systemd/system/*.timer'],
  async run(ctx) {
    const jobs = await backupJobs(ctx);
    return verdict(jobs.length > 0, jobs.length ? jobs.slice(0, 3).join('; ') : 'no scheduled backup command found', jobs[0]?.split(' ')[0] ?? '/etc/crontab, /etc/cron.d, timers');
  },
};
