import { forTerminal } from '../output/sanitize.js';
import type { BanReport } from './actions.js';

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
  out.push(`${r.dryRun ? 'plan (dry run, nothing changed)' : r.action} on ${forTerminal(r.host)} via ${forTerminal(r.socket)}`);
  for (const x of r.results) {
    const jail = x.jail ? forTerminal(x.jail) : 'any jail';
    const verb = x.outcome === 'planned' ? `would ${r.action}: ${jail}` : `${WORDS[x.outcome]} ${jail}`;
    out.push(`  ${forTerminal(x.ip).padEnd(39)} ${verb}${x.reason && x.outcome !== 'not-banned' ? ` — ${forTerminal(x.reason)}` : ''}`);
  }
  if (r.authLog && !r.authLog.read) out.push(`auth log not checked: ${forTerminal(r.authLog.error ?? 'no log')}`);
  if (r.journal) out.push(`recorded in ${forTerminal(r.journal)}`);
  for (const w of r.warnings) out.push(`warning: ${forTerminal(w)}`);
  return out.join('\n');
}
