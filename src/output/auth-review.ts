import { escapeControls } from '../core/escape.js';
import type { AuthReport } from '../logs/auth-report.js';

/** Human rendering of the same AuthReport that --json prints; every log-borne string through escapeControls. */

const t = (s: string, max = 200): string => escapeControls(s, { max });
const num = (n: number): string => n.toLocaleString('en-US');
const short = (iso: string): string => iso.replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, 'Z');

export function renderAuthReport(r: AuthReport, opts: { width?: number } = {}): string {
  const out: string[] = [];
  const range = r.range.first ? `${short(r.range.first)} → ${short(r.range.last ?? r.range.first)}` : 'no events';
  out.push(`auth-review ${t(r.host)}: ${range}  (syslog times read as UTC${r.assumedUtcOffset})`);
  // an input not read to its end, or not understood, first (and last): this review is incomplete
  for (const e of r.errors) out.push(`ERROR: ${t(e, 300)}`);
  for (const w of r.warnings) out.push(`warning: ${t(w, 300)}`);
  if (r.window.since || r.window.until) out.push(`window: ${r.window.since ?? '…'} → ${r.window.until ?? '…'}`);
  if (r.filter.ip || r.filter.user) out.push(`filter: ${r.filter.ip ? `ip ${t(r.filter.ip)} ` : ''}${r.filter.user ? `user ${t(r.filter.user)}` : ''}`);
  for (const s of r.sources) out.push(`  source ${t(s.name)} (${sourceText(s)})`);
  const c = r.counts;
  out.push(
    `${num(c.failures)} failed attempts · ${num(c.attackingIps)} attacking of ${num(c.distinctIps)} addresses · ${num(c.invalidUsers)} invalid users · ${num(c.accepted)} accepted logins · ${num(c.preauthDisconnects)} preauth disconnects · ${num(c.sudo)} sudo · ${num(c.su)} su · ${num(c.lines)} lines${c.unparsed ? ` (${num(c.unparsed)} unparsed)` : ''}`,
  );
  // an empty log, or a window after logrotate, is not an error: but it is said, never a quiet week
  if (c.authLines === 0) out.push(`no auth lines${r.window.since || r.window.until ? ' in the window' : ''} (sshd, sudo, su, login, PAM): ${num(c.lines)} lines read`);
  if (r.hosts.length > 0) out.push(`hosts in the logs: ${r.hosts.map((h) => t(h, 64)).join(', ')}`);

  out.push('', `ALERTS (${r.alerts.length})`);
  if (r.alerts.length === 0) out.push('  none');
  // alerts come sorted by severity; at most 5 per rule, the rest counted (an internet-facing
  // sshd has hundreds of sprayers, and the one success after a brute force must stay visible)
  const perRule = new Map<string, number>();
  for (const a of r.alerts) {
    const n = (perRule.get(a.rule) ?? 0) + 1;
    perRule.set(a.rule, n);
    if (n > 5) continue;
    out.push(`  ${a.severity.toUpperCase().padEnd(8)} ${a.rule.padEnd(30)} ${t(a.title, 120)}`);
    out.push(`  ${' '.repeat(8)} ${t(a.reason, 160)}`);
    if (a.evidence) out.push(`  ${' '.repeat(8)} ${t(a.evidence, 160)}`);
  }
  for (const [rule, n] of perRule) if (n > 5) out.push(`  … ${n - 5} more ${rule} (--json lists them all)`);

  out.push(...histogram(r, opts.width ?? 40));

  if (r.topIps.length > 0) {
    out.push('', 'TOP SOURCE ADDRESSES');
    out.push(`  ${'ADDRESS'.padEnd(39)} ${'FAILS'.padStart(9)} ${'USERS'.padStart(5)}  ${'FIRST SEEN'.padEnd(17)}  ${'LAST SEEN'.padEnd(17)}  OK  BANNED`);
    for (const i of r.topIps) {
      const banned = i.bannedIn === null ? '?' : i.bannedIn.length ? i.bannedIn.map((j) => t(j)).join(',') : '-';
      out.push(`  ${t(i.ip, 39).padEnd(39)} ${num(i.failures).padStart(9)} ${String(i.distinctUsers).padStart(5)}  ${short(i.firstSeen).padEnd(17)}  ${short(i.lastSeen).padEnd(17)}  ${String(i.accepted).padStart(2)}  ${banned}`);
    }
    if (r.topIps.some((i) => i.bannedIn === null)) out.push(`  BANNED ?: ${r.fail2ban.error ? `fail2ban could not be asked (${t(r.fail2ban.error, 160)})` : 'fail2ban was not asked (an offline image, or --no-fail2ban)'}`);
  }
  if (r.topUsers.length > 0) {
    out.push('', 'TOP TARGETED USERS');
    for (const u of r.topUsers) out.push(`  ${t(u.user, 32).padEnd(32)} ${num(u.failures).padStart(9)} failures from ${num(u.distinctIps)} addresses${u.invalid ? ' (no such user)' : ''}${u.accepted ? `, ${u.accepted} logins` : ''}`);
  }
  out.push('', `SUCCESSFUL LOGINS (${r.logins.length})`);
  if (r.logins.length === 0) out.push('  none');
  for (const l of r.logins.slice(0, 50)) {
    const flags = [l.afterBruteForce ? 'AFTER BRUTE FORCE' : '', l.failedBefore ? `${num(l.failuresFromIp)} failures from this address` : '', !l.failedBefore && l.subnetFailedBefore ? 'its /24 failed before' : ''].filter(Boolean);
    out.push(`  ${short(l.first)}  ${t(l.user, 24)} from ${t(l.ip, 39)} (${t(l.method, 30)}) ×${l.count}${l.count > 1 ? ` until ${short(l.last)}` : ''}${flags.length ? `  [${flags.join('; ')}]` : ''}`);
    if (l.fingerprints.length) out.push(`      key ${l.fingerprints.map((f) => t(f, 60)).join(', ')}`);
  }
  if (r.logins.length > 50) out.push(`  … ${r.logins.length - 50} more`);
  if (r.sudo.length > 0) {
    out.push('', 'SUDO');
    for (const s of r.sudo) {
      out.push(`  ${t(s.user, 24)}: ${num(s.count)} commands${s.failures ? `, ${s.failures} failures` : ''}, ${short(s.first)} → ${short(s.last)}`);
      for (const cmd of s.commands.slice(0, 3)) out.push(`      ${String(cmd.count).padStart(6)}× ${t(cmd.command, 120)}`);
    }
  }
  if (r.su.length > 0) {
    out.push('', 'SU');
    for (const s of r.su) out.push(`  ${t(s.user, 24)} → ${t(s.targetUser, 24)}: ${s.count} sessions${s.failures ? `, ${s.failures} failed` : ''}, ${short(s.first)} → ${short(s.last)}`);
  }
  if (r.accountChanges.length > 0) {
    out.push('', 'ACCOUNT CHANGES');
    for (const a of r.accountChanges.slice(0, 30)) out.push(`  ${short(a.time)}  ${t(a.program, 12).padEnd(9)} ${t(a.detail, 140)}`);
  }
  if (r.tail) {
    out.push('', `LAST ${r.tail.length} LINES MATCHING failed|invalid`);
    for (const l of r.tail) out.push(t(l, 400));
  }
  if (r.errors.length) out.push('', `ERROR: ${r.errors.length} input${r.errors.length > 1 ? 's' : ''} not read to the end or not understood (see ERROR above): this review is incomplete`);
  return out.join('\n');
}

function sourceText(s: AuthReport['sources'][number]): string {
  const parts = s.format ? [`${s.format}${s.compressed ? ', gzip' : ''}`, `${num(s.lines ?? 0)} lines`] : [];
  if (s.workers) parts.push(`${s.workers} threads`);
  if (s.authUnrecognised) parts.push(`${num(s.authUnrecognised)} of ${num(s.authLines ?? 0)} sshd/PAM lines not recognised`);
  if (s.pamFailures) parts.push(`${num(s.pamFailures)} failures counted from PAM lines (sshd wrote none of its own here)`);
  if (s.error) parts.push(`error: ${t(s.error)}`);
  return parts.join(', ');
}

/** Failures per bucket as bars, `▲n` for accepted logins, `!rule` for alerts falling in the bucket. */
function histogram(r: AuthReport, width: number): string[] {
  let buckets = r.histogram.buckets;
  if (buckets.length === 0) return [];
  let label = r.histogram.bucket === 'day' ? 'DAY' : 'HOUR';
  // long ranges: adjacent buckets merged so that the chart stays one screen
  const group = Math.ceil(buckets.length / 72);
  if (group > 1) {
    const merged: typeof buckets = [];
    for (let i = 0; i < buckets.length; i += group) {
      const part = buckets.slice(i, i + group);
      merged.push({ start: part[0]!.start, failures: part.reduce((n, b) => n + b.failures, 0), accepted: part.reduce((n, b) => n + b.accepted, 0), alerts: [...new Set(part.flatMap((b) => b.alerts))] });
    }
    buckets = merged;
    label = `${group} ${label}S`;
  }
  const max = Math.max(1, ...buckets.map((b) => b.failures));
  const out = ['', `FAILURES PER ${label}  (█ failed attempts, ▲ accepted logins, ! alerts)`];
  for (const b of buckets) {
    const len = b.failures === 0 ? 0 : Math.max(1, Math.round((b.failures / max) * width));
    const stamp = r.histogram.bucket === 'day' ? b.start.slice(0, 10) : b.start.slice(5, 16).replace('T', ' ');
    const marks = [b.accepted ? `▲${b.accepted}` : '', ...b.alerts.map((a) => `!${a.replace(/^auth\./, '')}`)].filter(Boolean).join(' ');
    out.push(`  ${stamp.padEnd(11)} ${'█'.repeat(len).padEnd(width)} ${num(b.failures).padStart(9)}  ${marks}`);
  }
  return out;
}
