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
  // every file read at once, the jobs kept in their order (over ssh the scripts the jobs call, found
  // in their content, come in one follow-up instead of one each)
  const inCrontabs = await Promise.all(
    crontabs.map(async ([path, system]) => {
      const text = await ctx.read(path).catch(() => null);
      if (!text) return [];
      const entries = parseCrontab(text, system).entries;
      const hits = await Promise.all(entries.map((e) => scriptMatches(e.command)));
      return entries.filter((_, i) => hits[i]).map((e) => `${path} line ${e.line}: ${e.schedule} ${e.command.slice(0, 80)}`);
    }),
  );
  found.push(...inCrontabs.flat());
  for (const period of ['hourly', 'daily', 'weekly', 'monthly']) {
    const entries = await listOrEmpty(t, `/etc/cron.${period}`).catch(() => []);
    const texts = await Promise.all(entries.map((e) => ctx.read(e.path).catch(() => null)));
    entries.forEach((e, i) => {
      const text = texts[i];
      if (text && re.test(text)) found.push(`${e.path}`);
    });
  }
  const timers = (await listOrEmpty(t, '/etc/systemd/system').catch(() => [])).filter((e) => e.name.endsWith('.timer'));
  const inTimers = await Promise.all(
    timers.map(async (e) => {
      const timer = parseUnit((await ctx.read(e.path).catch(() => null)) ?? '');
      const svc = timer.get('Timer.Unit')?.at(-1) ?? e.name.replace(/\.timer$/, '.service');
      const unit = parseUnit((await ctx.read(`/etc/systemd/system/${svc}`).catch(() => null)) ?? '');
      const cmds = unit.get('Service.ExecStart') ?? [];
      const hits = await Promise.all(cmds.map((cmd) => scriptMatches(cmd.replace(/^[-@:+!]+/, ''))));
      return cmds.filter((_, i) => hits[i]).map((cmd) => `${e.path} → ${svc}: ${cmd.slice(0, 80)}`);
    }),
  );
  found.push(...inTimers.flat());
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
