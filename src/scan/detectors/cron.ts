import type { DirEntry, Target } from '../../host/target.js';
import { listOrEmpty } from '../../host/target.js';
import { anacrontabLine, crontabLine, type CronEntry } from '../../host/facts/crontab.js';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { classifyCommand } from '../rules/command-line.js';
import { NORMAL, readLines, stampMtime } from './util.js';

// the one crontab parser lives in host/facts (the sweep's backup check reads crontabs too)
export { parseAnacrontab, parseCrontab, type CronEntry } from '../../host/facts/crontab.js';

function judge(command: string, base: Severity): { severity: Severity; rules: string[]; reasons: string[] } {
  const signals = classifyCommand(command);
  let severity = base;
  for (const s of signals) severity = maxSeverity(severity, s.severity);
  return { severity, rules: signals.map((s) => s.rule), reasons: signals.map((s) => s.reason) };
}

/** Malformed lines warned about per file; the rest are counted (a file of garbage is one warning, not a million). */
const MALFORMED_SHOWN = 20;

function cronFinding(c: Collector, path: string, e: CronEntry, owner?: string): void {
  const user = e.user ?? owner;
  const j = judge(e.command, e.schedule === '@reboot' ? 'low' : 'info');
  const reasons = [...j.reasons];
  if (e.schedule === '@reboot') reasons.push('runs at every boot (@reboot)');
  c.add({
    rule: j.rules.length ? `cron.${j.rules[0]}` : 'cron.entry',
    key: instanceKey('cron', path, `${user ?? ''} ${e.schedule} ${e.command}`),
    contentHash: contentHash(e.raw.trim()),
    severity: j.severity,
    title: j.rules.length ? `Suspicious cron job for ${user ?? '?'}: ${j.reasons[0]}` : `Cron job for ${user ?? '?'}`,
    path,
    line: e.line,
    user,
    evidence: clip(e.raw.trim(), 2000),
    attack: 'T1053.003',
    reason: reasons.join('; ') || 'scheduled command (inventory)',
    remediation: j.rules.length ? `Remove the line from ${path} after preserving it (ir collect), then look for what it downloaded.` : undefined,
    details: { schedule: e.schedule, command: clip(e.command, 2000), rules: j.rules },
  });
}

async function scanCrontabFile(t: Target, c: Collector, path: string, system: boolean, owner?: string): Promise<void> {
  let malformed = 0;
  const file = await readLines(t, c, path, { kind: 'crontab', normal: NORMAL.crontab }, (raw, n) => {
    const p = crontabLine(raw, n, system);
    if (!p) return;
    if ('entry' in p) return cronFinding(c, path, p.entry, owner);
    if (++malformed <= MALFORMED_SHOWN) c.warn(`malformed crontab line ${n}: ${clip(p.malformed.raw, 200)}`, path);
  });
  if (!file) return;
  c.examined++;
  if (malformed > MALFORMED_SHOWN) c.warn(`${malformed - MALFORMED_SHOWN} more malformed crontab lines`, path);
  stampMtime(c, path, file.stat.mtime);
}

async function scanScript(t: Target, c: Collector, path: string): Promise<void> {
  let flagged = false;
  const file = await readLines(t, c, path, { kind: 'periodic cron script', normal: NORMAL.script }, (raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const j = judge(line, 'info');
    if (j.rules.length === 0) return;
    flagged = true;
    c.add({
      rule: `cron.${j.rules[0]}`,
      key: instanceKey('cron', path, line),
      contentHash: contentHash(line),
      severity: j.severity,
      title: `Suspicious line in periodic cron script: ${j.reasons[0]}`,
      path,
      line: n,
      user: 'root',
      evidence: clip(line, 2000),
      attack: 'T1053.003',
      reason: j.reasons.join('; ') + ' (run by run-parts as root)',
      details: { rules: j.rules },
    });
  });
  if (!file) return;
  c.examined++;
  stampMtime(c, path, file.stat.mtime);
  if (!flagged) {
    c.add({
      rule: 'cron.script',
      key: instanceKey('cron', path, 'script'),
      contentHash: file.hash,
      severity: 'info',
      title: 'Periodic cron script',
      path,
      user: 'root',
      evidence: path,
      attack: 'T1053.003',
      reason: 'script run by run-parts as root (inventory)',
      mtime: isoFromEpochSeconds(file.stat.mtime),
    });
  }
}

/** Lists a cron directory: missing is empty, unreadable an error (the jobs in it were not judged). */
async function cronDir(t: Target, c: Collector, dir: string): Promise<DirEntry[]> {
  try {
    return await listOrEmpty(t, dir);
  } catch (err) {
    c.error((err as Error).message, dir);
    return [];
  }
}

export const cron: Detector = {
  id: 'cron',
  title: 'Cron jobs: user spools, /etc/crontab, cron.d, periodic scripts, anacrontab',
  category: 'scheduled-task',
  attack: ['T1053.003'],
  locations: [
    '/var/spool/cron/crontabs/*',
    '/var/spool/cron/*',
    '/etc/crontab',
    '/etc/cron.d/*',
    '/etc/cron.hourly/*',
    '/etc/cron.daily/*',
    '/etc/cron.weekly/*',
    '/etc/cron.monthly/*',
    '/etc/anacrontab',
  ],
  async run({ target }) {
    const c = new Collector('cron', 'scheduled-task', target.name);
    // Debian keeps user crontabs in crontabs/, RHEL directly in /var/spool/cron
    for (const dir of ['/var/spool/cron/crontabs', '/var/spool/cron']) {
      for (const e of await cronDir(target, c, dir)) {
        if (e.stat.type === 'file') await scanCrontabFile(target, c, e.path, false, e.name);
        else if (e.stat.type === 'symlink') c.warn('crontab is a symbolic link (not followed)', e.path);
      }
    }
    await scanCrontabFile(target, c, '/etc/crontab', true);
    for (const e of await cronDir(target, c, '/etc/cron.d')) {
      if (e.stat.type === 'file' || e.stat.type === 'symlink') await scanCrontabFile(target, c, e.path, true);
    }
    for (const period of ['hourly', 'daily', 'weekly', 'monthly']) {
      const dir = `/etc/cron.${period}`;
      for (const e of await cronDir(target, c, dir)) {
        if (e.name === '.placeholder') continue;
        if (e.stat.type === 'file' || e.stat.type === 'symlink') await scanScript(target, c, e.path);
      }
    }
    const ana = await readLines(target, c, '/etc/anacrontab', { kind: 'anacrontab', normal: NORMAL.crontab }, (raw, n) => {
      const e = anacrontabLine(raw, n);
      if (!e) return;
      const j = judge(e.command, 'info');
      c.add({
        rule: j.rules.length ? `cron.${j.rules[0]}` : 'cron.anacron',
        key: instanceKey('cron', '/etc/anacrontab', e.command),
        contentHash: contentHash(e.raw.trim()),
        severity: j.severity,
        title: j.rules.length ? `Suspicious anacron job: ${j.reasons[0]}` : 'Anacron job',
        path: '/etc/anacrontab',
        line: e.line,
        user: 'root',
        evidence: clip(e.raw.trim(), 2000),
        attack: 'T1053.003',
        reason: j.reasons.join('; ') || 'scheduled command (inventory)',
        details: { schedule: e.schedule, command: clip(e.command, 2000) },
      });
    });
    if (ana) {
      c.examined++;
      stampMtime(c, '/etc/anacrontab', ana.stat.mtime);
    }
    return c.result();
  },
};
