import { posix } from 'node:path';
import type { DirEntry } from '../../host/target.js';
import { isMissing } from '../../host/target.js';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { contentHash, instanceKey, type Severity } from '../../core/finding.js';
import { entriesOf } from '../rules/judge-file.js';
import { homes, startupFiles, SYSTEM_STARTUP, USER_STARTUP } from '../rules/startup-files.js';
import { bytesText, quiet, readContent, readLines, stampMtime } from './util.js';

const HISTORY_OFF = /(^|[\s;])(unset\s+HISTFILE\b|(export\s+)?HISTFILE=(\/dev\/null|["']{2}|\s|$)|(export\s+)?HIST(FILE)?SIZE=["']?0\b|set\s+\+o\s+history|shopt\s+-u\s+histappend.*HISTFILE)/;
/** Logs an intruder wants gone; truncating one of these to 0 bytes beside rotated copies is a tell. */
const SECURITY_LOGS = /^(auth\.log|secure|syslog|messages|kern\.log|audit\.log|wtmp|btmp|lastlog|faillog|daemon\.log|user\.log)$/;
const UTMP_SIZE = 384;
const LASTLOG_SIZE = 292;
const MAX_UTMP = 64 * 1024 * 1024;

export interface UtmpScan {
  records: number;
  zeroed: number[];
  backwards: number[];
  partial: boolean;
  /** users with a login record (type 7, USER_PROCESS) */
  users: Set<string>;
}

/** wtmp/btmp: 384-byte `struct utmp` records (glibc, 64-bit), fed in chunks of any size (a large file is streamed). Wipers (e.g. utmpdump round trips, zap) leave zeroed records. */
export class UtmpScanner {
  readonly out: UtmpScan = { records: 0, zeroed: [], backwards: [], partial: false, users: new Set() };
  private rest = Buffer.alloc(0);
  private last = 0;

  push(chunk: Buffer): void {
    let buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const whole = Math.floor(buf.length / UTMP_SIZE);
    for (let i = 0; i < whole; i++) this.record(buf.subarray(i * UTMP_SIZE, (i + 1) * UTMP_SIZE));
    buf = buf.subarray(whole * UTMP_SIZE);
    this.rest = Buffer.from(buf);
  }

  end(): UtmpScan {
    this.out.partial = this.rest.length !== 0;
    return this.out;
  }

  private record(r: Buffer): void {
    const i = this.out.records++;
    if (r.every((b) => b === 0)) {
      if (this.out.zeroed.length < 1000) this.out.zeroed.push(i);
      return;
    }
    const type = r.readInt16LE(0);
    const t = r.readInt32LE(340);
    if (type === 7 && this.out.users.size < 10_000) this.out.users.add(r.subarray(44, 76).toString('latin1').replace(/\0.*$/s, ''));
    // records are appended in time order; a jump back of more than a day means records were cut or rewritten
    if (this.last && t && t < this.last - 86400 && this.out.backwards.length < 1000) this.out.backwards.push(i);
    if (t) this.last = Math.max(this.last, t);
  }
}

export function scanUtmp(buf: Buffer): UtmpScan {
  const s = new UtmpScanner();
  s.push(buf);
  return s.end();
}

async function histories(ctx: DetectorContext, c: Collector): Promise<void> {
  for (const h of await homes(ctx)) {
    for (const name of ['.bash_history', '.zsh_history', '.history', '.sh_history', '.mysql_history', '.psql_history', '.python_history']) {
      const path = posix.join(h.home, name);
      const st = await ctx.target.lstat(path).catch(() => null);
      if (!st) continue;
      c.examined++;
      let severity: Severity | null = null;
      let why = '';
      let evidence = '';
      if (st.type === 'symlink') {
        const to = await ctx.target.readlink(path).catch(() => '?');
        severity = to === '/dev/null' ? 'high' : 'medium';
        why = `history is a link to ${to}: nothing typed in this account is kept`;
        evidence = `${path} -> ${to}`;
      } else if (st.type === 'file' && st.size === 0 && name === '.bash_history' && h.login) {
        severity = 'medium';
        why = 'shell history of a login account is empty (cleared with history -c, > file, or shred)';
        evidence = `${path} 0 bytes, changed ${isoFromEpochSeconds(st.mtime)}`;
      } else if (st.type === 'char') {
        severity = 'high';
        why = 'history file replaced by a device (likely /dev/null)';
        evidence = `${path} is a character device`;
      }
      if (!severity) continue;
      c.add({
        rule: 'anti-forensics.history',
        key: instanceKey('anti-forensics', path, 'history'),
        contentHash: contentHash(st.type, st.size === 0 ? 'empty' : 'data', evidence.replace(/, changed .*/, '')),
        severity,
        title: `Shell history of ${h.user} disabled or wiped`,
        path,
        user: h.user,
        evidence,
        attack: 'T1070.003',
        reason: why,
        remediation: 'Recover what the shell did from auth logs, wtmp, process accounting and file times; restore the history file.',
        mtime: isoFromEpochSeconds(st.mtime),
      });
    }
  }
  for (const f of await startupFiles(ctx, c)) {
    const file = await readLines(ctx.target, quiet(c), f.path, { kind: 'shell startup file', normal: Number.MAX_SAFE_INTEGER }, (raw, n) => {
      const l = raw.trim();
      if (l.startsWith('#') || !HISTORY_OFF.test(l)) return;
      c.add({
        rule: 'anti-forensics.history-off',
        key: instanceKey('anti-forensics', f.path, l),
        contentHash: contentHash(l),
        severity: 'high',
        title: `Shell history turned off in ${f.path}`,
        path: f.path,
        line: n,
        user: f.user ?? 'root',
        evidence: clip(l, 300),
        attack: 'T1070.003',
        reason: `every ${f.user ? `shell of ${f.user}` : 'login shell'} starts without history`,
      });
    });
    if (file) stampMtime(c, f.path, file.stat.mtime);
  }
}

async function truncatedLogs(ctx: DetectorContext, c: Collector, dir: string, entries: DirEntry[]): Promise<void> {
  for (const e of entries) {
    if (e.stat.type === 'dir' && dir === '/var/log' && ['audit', 'apache2', 'nginx'].includes(e.name)) await truncatedLogs(ctx, c, e.path, await entriesOf(c, ctx, e.path));
    if (e.stat.type !== 'file' || e.stat.size !== 0) continue;
    c.examined++;
    const rotated = entries.filter((o) => o.name !== e.name && o.stat.type === 'file' && o.stat.size > 0 && (o.name.startsWith(`${e.name}.`) || o.name.startsWith(`${e.name}-`)));
    if (rotated.length === 0) continue;
    // btmp is empty on a host nobody failed to log in to since rotation
    const security = SECURITY_LOGS.test(e.name) && e.name !== 'btmp';
    c.add({
      rule: 'anti-forensics.truncated-log',
      key: instanceKey('anti-forensics', e.path, 'truncated'),
      contentHash: contentHash('empty', rotated.map((r) => r.name).sort().join(',')),
      severity: security ? 'medium' : 'low',
      title: `Log truncated to 0 bytes beside rotated copies: ${e.path}`,
      path: e.path,
      evidence: `${e.path} 0 bytes; ${rotated.map((r) => `${r.name} ${r.stat.size} bytes`).join(', ')}`,
      attack: 'T1070.002',
      reason: `${security ? 'a security log' : 'a log'} that had content before rotation is empty now (truncated with > file or shred)`,
      remediation: 'Compare with the journal (journalctl) and remote syslog; preserve the rotated copies.',
      mtime: isoFromEpochSeconds(e.stat.mtime),
    });
  }
}

async function loginRecords(ctx: DetectorContext, c: Collector): Promise<void> {
  const users = new Set<string>();
  for (const name of ['wtmp', 'btmp']) {
    const path = `/var/log/${name}`;
    const st = await ctx.target.stat(path).catch(() => null);
    if (st?.type !== 'file' || st.size === 0) continue;
    const scanner = new UtmpScanner();
    try {
      for await (const chunk of await readContent(ctx.target, path, st, MAX_UTMP)) scanner.push(chunk);
    } catch (err) {
      if (!isMissing(err)) c.error((err as Error).message, path);
      continue;
    }
    c.examined++;
    if (st.size > MAX_UTMP) {
      c.warn(`only the first ${bytesText(MAX_UTMP)} were checked`, path);
      c.unread(path, `too large: the first ${bytesText(MAX_UTMP)} of ${bytesText(st.size)} checked`);
    }
    const s = scanner.end();
    if (name === 'wtmp') s.users.forEach((u) => users.add(u));
    if (s.zeroed.length === 0 && s.backwards.length === 0 && !s.partial) continue;
    const parts = [s.zeroed.length ? `${s.zeroed.length} zeroed record(s) at ${s.zeroed.slice(0, 5).join(', ')}` : '', s.backwards.length ? `${s.backwards.length} record(s) older than the one before` : '', s.partial ? `size ${st.size} is not a multiple of ${UTMP_SIZE}` : ''].filter(Boolean);
    c.add({
      rule: 'anti-forensics.login-records',
      key: instanceKey('anti-forensics', path, 'records'),
      contentHash: contentHash(s.zeroed.join(','), s.backwards.join(','), String(s.partial)),
      severity: s.zeroed.length ? 'high' : 'medium',
      title: `Login records in ${path} were edited`,
      path,
      evidence: parts.join('; '),
      attack: 'T1070.002',
      reason: 'wtmp/btmp are append-only; zeroed or out-of-order records are what log wipers leave',
      remediation: `Preserve ${path} (ir collect) and compare with auth.log and the journal.`,
      mtime: isoFromEpochSeconds(st.mtime),
      details: { records: s.records, zeroed: s.zeroed.slice(0, 50), backwards: s.backwards.slice(0, 50), partial: s.partial },
    });
  }
  // lastlog is indexed by uid: a user who logged in (wtmp) but whose lastlog slot is blank was wiped
  const ll = await ctx.target.stat('/var/log/lastlog').catch(() => null);
  if (ll?.type !== 'file' || users.size === 0) return;
  const accounts = await ctx.facts.accounts();
  const wiped: string[] = [];
  for (const u of users) {
    const a = accounts.find((x) => x.name === u);
    if (!a || (a.uid + 1) * LASTLOG_SIZE > ll.size) continue;
    try {
      const s = await ctx.target.openRead('/var/log/lastlog', { start: a.uid * LASTLOG_SIZE, end: a.uid * LASTLOG_SIZE + 3 });
      const chunks: Buffer[] = [];
      for await (const ch of s) chunks.push(ch as Buffer);
      if (Buffer.concat(chunks).readInt32LE(0) === 0) wiped.push(u);
    } catch (err) {
      c.error((err as Error).message, '/var/log/lastlog');
      return;
    }
  }
  if (wiped.length) {
    c.add({
      rule: 'anti-forensics.lastlog',
      key: instanceKey('anti-forensics', '/var/log/lastlog', 'blank'),
      contentHash: contentHash(wiped.sort().join(',')),
      severity: 'medium',
      title: 'lastlog entries blank for users who logged in',
      path: '/var/log/lastlog',
      evidence: `no last login recorded for ${wiped.join(', ')} although wtmp has their sessions`,
      attack: 'T1070.002',
      reason: 'lastlog slots are written at every login; blank ones for active users were zeroed',
      mtime: isoFromEpochSeconds(ll.mtime),
    });
  }
}

export const antiForensics: Detector = {
  id: 'anti-forensics',
  title: 'Anti-forensics: history disabled or wiped, logs truncated, wtmp/btmp/lastlog edited',
  category: 'defense-evasion',
  attack: ['T1070', 'T1070.002', 'T1070.003'],
  locations: ['~/.bash_history ~/.zsh_history …', `${[...SYSTEM_STARTUP, ...USER_STARTUP.map((f) => `~/${f}`)].join(' ')} (HISTFILE/HISTSIZE set to nothing)`, '/var/log/* (0 bytes beside rotated copies)', '/var/log/wtmp', '/var/log/btmp', '/var/log/lastlog'],
  async run(ctx) {
    const c = new Collector('anti-forensics', 'defense-evasion', ctx.target.name);
    await histories(ctx, c);
    await truncatedLogs(ctx, c, '/var/log', await entriesOf(c, ctx, '/var/log'));
    await loginRecords(ctx, c);
    return c.result();
  },
};
