import { escapeControls } from '../core/escape.js';
import type { CheckResult } from '../sweep/result.js';
import type { SweepReport } from '../sweep/sweep.js';

const MARK: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', na: 'N/A ', error: 'ERR ' };

/** Human output, rendered from the same report --json prints; every value from the host goes through escapeControls. */
export function renderSweep(r: SweepReport, opts: { verbose?: boolean } = {}): string {
  const t = (s: string, max = 160) => escapeControls(s, { max });
  const lines: string[] = [];
  lines.push(`ir sweep: ${t(r.host)} (${r.target}), ${r.results.length} results in ${(r.durationMs / 1000).toFixed(1)} s`);
  lines.push(verdict(r));
  let area = '';
  for (const x of r.results) {
    if (!opts.verbose && x.status === 'pass') continue;
    if (x.area !== area) {
      area = x.area;
      lines.push('', `[${area}]`);
    }
    const subject = x.subject ? ` [${t(x.subject, 60)}]` : '';
    const drift = x.drift && x.drift !== 'unchanged' ? ` (${x.drift})` : '';
    lines.push(`${MARK[x.status]} ${x.severity.padEnd(8)} ${x.id}${subject} ${t(x.title)}${drift}`);
    if (x.status === 'fail') {
      lines.push(`     actual:   ${t(x.actual)}`, `     expected: ${t(x.expected)}`, `     evidence: ${t(x.evidence)}`, `     fix:      ${t(x.remediation)}`);
    } else if (x.status === 'na' || x.status === 'error') {
      lines.push(`     ${t(x.reason ?? '')}`);
    }
  }
  if (r.drift) {
    const d = r.drift;
    lines.push('', `[drift] since ${t(d.baselineCreatedAt)} (${t(d.baselineHost)}): checks ${d.checks.new} new, ${d.checks.changed} changed, ${d.checks.unchanged} unchanged; ${d.resolved.length} resolved`);
    for (const c of d.state) lines.push(`  ${c.change.padEnd(8)} ${c.severity.padEnd(8)} ${c.kind.padEnd(15)} ${t(c.summary)}`);
  }
  lines.push('', 'summary:');
  for (const [a, s] of Object.entries(r.score.byArea)) {
    lines.push(`  ${a.padEnd(10)} ${String(s.pass).padStart(3)} pass ${String(s.fail).padStart(3)} fail ${String(s.na).padStart(3)} n/a ${String(s.error).padStart(3)} error   index ${s.index ?? '-'}`);
  }
  lines.push(`hardening index: ${r.score.index ?? '-'} / 100 (${r.score.earned} of ${r.score.possible} points)`);
  lines.push(verdict(r));
  return lines.join('\n');
}

/** The answer first and last: a check that could not run is never "OK". */
function verdict(r: SweepReport): string {
  const failing = `${r.failing.length} failing at or above ${r.failOn}${r.drift ? ' (new or changed)' : ''}`;
  if (r.stateErrors?.length) return `ERROR: the state could not be read whole (${r.stateErrors.join('; ')}): this sweep is incomplete, no baseline is saved from it; ${failing}`;
  if (r.errors.length) {
    const ids = [...new Set(r.results.filter((x) => x.status === 'error').map((x) => x.id))];
    const shown = ids.slice(0, 4).join(', ') + (ids.length > 4 ? `, and ${ids.length - 4} more` : '');
    return `ERROR: ${r.errors.length} check${r.errors.length > 1 ? 's' : ''} could not run (${shown}): this sweep is incomplete, see ERR above; ${failing}`;
  }
  return r.exitCode === 0 ? `OK: nothing at or above ${r.failOn}${r.drift ? ' that is new or changed' : ''}` : failing;
}
