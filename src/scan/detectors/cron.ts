import type { Target } from '../../host/target.js';
import { listOrEmpty } from '../../host/target.js';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { classifyCommand } from '../rules/command-line.js';
import { readBounded } from './util.js';

export interface CronEntry {
  schedule: string;
  user?: string;
  command: string;
  line: number;
  raw: string;
}

const FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;
const SPECIAL = /^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]*\s*=/;

/** Parses crontab text; system crontabs (/etc/crontab, cron.d) carry a user field. Malformed lines come back apart. */
export function parseCrontab(text: string, system: boolean): { entries: CronEntry[]; malformed: { line: number; raw: string }[] } {
  const entries: CronEntry[] = [];
  const malformed: { line: number; raw: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || ENV.test(line)) return;
    // token positions, so that the command keeps its own spacing
    const tokens = [...line.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: m.index ?? 0 }));
    const nSched = SPECIAL.test(tokens[0]!.text) ? 1 : 5;
    const fields = tokens.slice(0, nSched).map((t) => t.text);
    if (fields.length < nSched || (nSched === 5 && !fields.every((f) => FIELD.test(f)))) {
      malformed.push({ line: i + 1, raw });
      return;
    }
    const schedule = fields.join(' ');
    const user = system ? tokens[nSched]?.text : undefined;
    const cmdTok = tokens[nSched + (system ? 1 : 0)];
    const command = cmdTok ? line.slice(cmdTok.at) : '';
    if (!command) {
      malformed.push({ line: i + 1, raw });
      return;
    }
    entries.push({ schedule, user, command, line: i + 1, raw });
  });
  return { entries, malformed };
}

/** anacrontab: `period delay job-id command`. */
export function parseAnacrontab(text: string): CronEntry[] {
  const out: CronEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || ENV.test(line)) return;
    const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(.+)$/.exec(line);
    if (m) out.push({ schedule: `${m[1]} delay ${m[2]} (${m[3]})`, user: 'root', command: m[4]!, line: i + 1, raw });
  });
  return out;
}

function judge(command: string, base: Severity): { severity: Severity; rules: string[]; reasons: string[] } {
  const signals = classifyCommand(command);
  let severity = base;
  for (const s of signals) severity = maxSeverity(severity, s.severity);
  return { severity, rules: signals.map((s) => s.rule), reasons: signals.map((s) => s.reason) };
}

async function scanCrontabFile(t: Target, c: Collector, path: string, system: boolean, owner?: string): Promise<void> {
  const file = await readBounded(t, c, path);
  if (!file) return;
  c.examined++;
  const { entries, malformed } = parseCrontab(file.text, system);
  for (const m of malformed) c.warn(`malformed crontab line ${m.line}: ${clip(m.raw, 200)}`, path);
  for (const e of entries) {
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
      evidence: e.raw.trim(),
      attack: 'T1053.003',
      reason: reasons.join('; ') || 'scheduled command (inventory)',
      remediation: j.rules.length ? `Remove the line from ${path} after preserving it (ir collect), then look for what it downloaded.` : undefined,
      mtime: isoFromEpochSeconds(file.stat.mtime),
      details: { schedule: e.schedule, command: e.command, rules: j.rules },
    });
  }
}

async function scanScript(t: Target, c: Collector, path: string): Promise<void> {
  const file = await readBounded(t, c, path);
  if (!file) return;
  c.examined++;
  const lines = file.text.split('\n');
  let flagged = false;
  lines.forEach((raw, i) => {
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
      line: i + 1,
      user: 'root',
      evidence: line,
      attack: 'T1053.003',
      reason: j.reasons.join('; ') + ' (run by run-parts as root)',
      mtime: isoFromEpochSeconds(file.stat.mtime),
      details: { rules: j.rules },
    });
  });
  if (!flagged) {
    c.add({
      rule: 'cron.script',
      key: instanceKey('cron', path, 'script'),
      contentHash: contentHash(file.text),
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
      for (const e of await listOrEmpty(target, dir).catch((err: Error) => (c.warn(err.message, dir), []))) {
        if (e.stat.type === 'file') await scanCrontabFile(target, c, e.path, false, e.name);
        else if (e.stat.type === 'symlink') c.warn('crontab is a symbolic link (not followed)', e.path);
      }
    }
    await scanCrontabFile(target, c, '/etc/crontab', true);
    for (const e of await listOrEmpty(target, '/etc/cron.d').catch((err: Error) => (c.warn(err.message, '/etc/cron.d'), []))) {
      if (e.stat.type === 'file' || e.stat.type === 'symlink') await scanCrontabFile(target, c, e.path, true);
    }
    for (const period of ['hourly', 'daily', 'weekly', 'monthly']) {
      const dir = `/etc/cron.${period}`;
      for (const e of await listOrEmpty(target, dir).catch((err: Error) => (c.warn(err.message, dir), []))) {
        if (e.name === '.placeholder') continue;
        if (e.stat.type === 'file' || e.stat.type === 'symlink') await scanScript(target, c, e.path);
      }
    }
    const ana = await readBounded(target, c, '/etc/anacrontab');
    if (ana) {
      c.examined++;
      for (const e of parseAnacrontab(ana.text)) {
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
          evidence: e.raw.trim(),
          attack: 'T1053.003',
          reason: j.reasons.join('; ') || 'scheduled command (inventory)',
          mtime: isoFromEpochSeconds(ana.stat.mtime),
          details: { schedule: e.schedule, command: e.command },
        });
      }
    }
    return c.result();
  },
};
