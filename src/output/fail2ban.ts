import { escapeControls } from '../core/escape.js';
import type { Fail2banStatus } from '../fail2ban/status.js';

const t = (s: string, max = 160): string => escapeControls(s, { max });
const dur = (s: number | null): string => (s === null ? '?' : s < 0 ? 'forever' : s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);

export function renderFail2banStatus(r: Fail2banStatus): string {
  const out: string[] = [];
  const head = r.mode === 'live' ? `fail2ban on ${t(r.host)}: running (${t(r.socket)})` : `fail2ban on ${t(r.host)}: ${r.server === 'not-asked' ? 'offline image' : r.server.replace('-', ' ')}${r.message ? ` — ${t(r.message)}` : ''}`;
  out.push(head);
  if (r.mode === 'offline') out.push(`  configuration ${t(r.confDir)} (${r.configFiles.length} files)${r.database ? `, bans from ${t(r.database)}` : ''}`);
  for (const j of r.jails) {
    out.push('', `[${t(j.name)}] ${j.running ? 'running' : j.enabled ? 'enabled, not running' : j.enabled === false ? 'disabled' : ''}${j.filter ? `  filter ${t(j.filter)}` : ''}`);
    const s = j.settings;
    out.push(`  maxretry ${s.maxretry ?? '?'} · findtime ${dur(s.findtime)} · bantime ${dur(s.bantime)} · banaction ${t(s.banaction ?? '?')} · backend ${t(s.backend ?? '?')}`);
    if (s.logpath.length) out.push(`  logpath ${s.logpath.map((p) => t(p)).join(', ')}`);
    if (j.currentlyFailed !== null) out.push(`  failed: ${j.currentlyFailed} now, ${j.totalFailed} total · banned: ${j.currentlyBanned} now, ${j.totalBanned} total`);
    else out.push(`  banned now: ${j.currentlyBanned}`);
    for (const b of j.banned.slice(0, 50)) out.push(`    ${t(b.ip, 39).padEnd(39)} ${b.bannedAt ?? ''}${b.bantimeSeconds !== null ? ` + ${dur(b.bantimeSeconds)}` : ''}${b.expires ? ` → ${b.expires}` : b.bantimeSeconds !== null && b.bantimeSeconds < 0 ? ' (forever)' : ''}`);
    if (j.banned.length > 50) out.push(`    … ${j.banned.length - 50} more`);
    for (const c of j.checks) out.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${t(c.message)}`);
  }
  if (r.history) {
    out.push('', `history (${t(r.history.path)}): ${r.history.bans} bans, ${r.history.unbans} unbans`);
    for (const e of r.history.recent.slice(-10)) out.push(`  ${e.time}  [${t(e.jail)}] ${e.action} ${t(e.ip)}`);
  }
  out.push('');
  for (const c of r.checks) out.push(`${c.ok ? 'ok  ' : 'FAIL'} ${t(c.message)}`);
  for (const w of r.warnings) out.push(`warning: ${t(w)}`);
  return out.join('\n');
}
