import { escapeControls } from '../core/escape.js';
import type { Fail2banStatus } from '../fail2ban/status.js';

const t = (s: string, max = 160): string => escapeControls(s, { max });
const dur = (s: number): string => (s < 0 ? 'forever' : s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);
const where = (e: Fail2banStatus['errors'][number]): string => `${e.path ? `${t(e.path)}${e.line ? ` line ${e.line}` : ''}: ` : ''}${t(e.message, 240)}`;

/** `error: …` lines, first and last: a status with errors is never read as all clear. */
function errorLines(r: Fail2banStatus): string[] {
  if (r.errors.length === 0) return [];
  return ['ERROR: could not read or ask (exit 2; what depends on it is shown, never judged OK):', ...r.errors.map((e) => `  ${where(e)}`)];
}

export function renderFail2banStatus(r: Fail2banStatus): string {
  const out: string[] = [];
  const head = r.mode === 'live' ? `fail2ban on ${t(r.host)}: running (${t(r.socket)})` : `fail2ban on ${t(r.host)}: ${r.server === 'not-asked' ? 'offline image' : r.server.replace('-', ' ')}${r.message ? ` — ${t(r.message)}` : ''}`;
  out.push(head, ...errorLines(r));
  if (r.mode === 'offline') out.push(`  configuration ${t(r.confDir)} (${r.configFiles.length} files)${r.database ? `, bans from ${t(r.database)}` : ''}`);
  for (const j of r.jails) {
    out.push('', `[${t(j.name)}] ${j.running ? 'running' : j.enabled ? (r.server === 'not-asked' ? 'enabled' : 'enabled, not running') : j.enabled === false ? 'disabled' : ''}${j.filter ? `  filter ${t(j.filter)}` : ''}`);
    const s = j.settings;
    // a setting no file sets: fail2ban's own default applies (live, the server reports its values)
    const none = (key: string): string => (j.unusable.some((u) => u.key === key) ? 'unusable (below)' : r.configFiles.length ? 'unset' : 'unknown (no configuration read)');
    out.push(`  maxretry ${s.maxretry ?? none('maxretry')} · findtime ${s.findtime === null ? none('findtime') : dur(s.findtime)} · bantime ${s.bantime === null ? none('bantime') : dur(s.bantime)} · banaction ${t(s.banaction ?? none('banaction'))} · backend ${t(s.backend ?? none('backend'))}`);
    if (s.logpath.length) out.push(`  logpath ${s.logpath.map((p) => t(p)).join(', ')}`);
    if (j.currentlyFailed !== null) out.push(`  failed: ${j.currentlyFailed} now, ${j.totalFailed} total · banned: ${j.currentlyBanned} now, ${j.totalBanned} total`);
    else out.push(`  banned now: ${j.currentlyBanned}`);
    for (const b of j.banned.slice(0, 50)) {
      out.push(`    ${t(b.ip, 39).padEnd(39)} ${b.bannedAt ?? ''}${b.bantimeSeconds !== null ? ` + ${dur(b.bantimeSeconds)}` : ''}${b.expires ? ` → ${b.expires}` : b.bantimeSeconds !== null && b.bantimeSeconds < 0 ? ' (forever)' : ''}`);
      if (b.problem) out.push(`      ${t(b.problem)}`);
    }
    if (j.banned.length > 50) out.push(`    … ${j.banned.length - 50} more`);
    for (const c of j.checks) out.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${t(c.message, 240)}`);
    // not judged (the configuration is unreadable) but still shown where they are
    if (j.checks.length === 0) for (const u of j.unusable) out.push(`  unusable as written: ${t(u.path)} line ${u.line}: ${t(u.message, 200)}`);
  }
  if (r.history) {
    out.push('', `history (${t(r.history.path)}): ${r.history.bans} bans, ${r.history.unbans} unbans`);
    for (const e of r.history.recent.slice(-10)) out.push(`  ${e.time}  [${t(e.jail)}] ${e.action} ${t(e.ip)}`);
  }
  out.push('');
  for (const c of r.checks) out.push(`${c.ok ? 'ok  ' : 'FAIL'} ${t(c.message, 240)}`);
  for (const w of r.warnings) out.push(`warning: ${t(w)}`);
  if (r.errors.length) out.push(...errorLines(r));
  return out.join('\n');
}
