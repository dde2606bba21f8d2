import { escapeControls } from '../core/escape.js';
import type { BanReport } from '../fail2ban/actions.js';

const WORDS: Record<string, string> = {
  planned: 'would',
  unbanned: 'unbanned from',
  'not-banned': 'was not banned in',
  banned: 'banned in',
  'already-banned': 'was already banned in',
  refused: 'REFUSED for',
};

export function renderBanReport(r: BanReport): string {
  const out: string[] = [];
  out.push(`${r.dryRun ? 'plan (dry run, nothing changed)' : r.action} on ${escapeControls(r.host)} via ${escapeControls(r.socket)}`);
  for (const x of r.results) {
    const jail = x.jail ? escapeControls(x.jail) : 'any jail';
    const verb = x.outcome === 'planned' ? `would ${r.action}: ${jail}` : `${WORDS[x.outcome]} ${jail}`;
    out.push(`  ${escapeControls(x.ip).padEnd(39)} ${verb}${x.reason && x.outcome !== 'not-banned' ? ` — ${escapeControls(x.reason)}` : ''}`);
  }
  if (r.authLog && !r.authLog.read) out.push(`auth log not checked: ${escapeControls(r.authLog.error ?? 'no log')}`);
  if (r.journal) out.push(`recorded in ${escapeControls(r.journal)}`);
  for (const w of r.warnings) out.push(`warning: ${escapeControls(w)}`);
  return out.join('\n');
}
