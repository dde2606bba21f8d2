import { SEVERITIES, severityRank, type Finding, type Severity } from '../core/finding.js';
import type { ScanReport } from '../scan/engine.js';
import { escapeControls } from '../core/escape.js';
import { paint, severityLabel } from './format.js';

export interface RenderOptions {
  verbose?: boolean;
  failOn: Severity;
}

function findingBlock(f: Finding): string[] {
  const where = [f.path ? `${f.path}${f.line ? `:${f.line}` : ''}` : undefined, f.pid !== undefined ? `pid ${f.pid}` : undefined, f.user ? `user ${f.user}` : undefined, f.attack ? `[${f.attack}]` : undefined]
    .filter(Boolean)
    .join('  ');
  const drift = f.drift && f.drift !== 'unchanged' ? paint('bold', ` (${f.drift.toUpperCase()})`) : '';
  const lines = [`  ${paint('bold', escapeControls(f.title, { max: 160 }))}${drift}`];
  if (where) lines.push(`    ${paint('dim', escapeControls(where, { max: 200 }))}`);
  lines.push(`    > ${escapeControls(f.evidence, { max: 200 })}`);
  lines.push(`    why: ${escapeControls(f.reason, { max: 300 })}`);
  if (f.remediation) lines.push(`    next: ${escapeControls(f.remediation, { max: 300 })}`);
  lines.push(`    ${paint('dim', `rule ${escapeControls(f.rule)}  key ${escapeControls(f.key)}`)}`);
  return lines;
}

/** Human output, rendered from the same report `--json` prints: grouped by severity, worst first. */
export function renderScan(r: ScanReport, opts: RenderOptions): string {
  const secs = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
  const out: string[] = [];
  out.push(`${paint('bold', 'ir persistence-scan')}  host ${escapeControls(r.host)} (${r.target})  ${r.detectors.length} detectors  ${secs.toFixed(2)} s  ${r.startedAt}`);
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, r.findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  for (const sev of [...SEVERITIES].reverse()) {
    const group = r.findings.filter((f) => f.severity === sev);
    if (group.length === 0) continue;
    if (sev === 'info' && !opts.verbose) {
      out.push('', `${severityLabel('info')} ${group.length} inventory items (crontab entries, keys, listeners): --verbose lists them, --json has them all`);
      continue;
    }
    out.push('', `${severityLabel(sev)} (${group.length})`);
    for (const f of group) out.push(...findingBlock(f));
  }
  if (r.findings.length === 0) out.push('', 'No findings.');
  if (r.warnings.length) {
    out.push('', paint('yellow', `Warnings (${r.warnings.length}): items that could not be read or parsed; the scan went on`));
    for (const w of r.warnings.slice(0, opts.verbose ? undefined : 15)) out.push(`  ${w.detector}: ${escapeControls(w.path ? `${w.path}: ${w.message}` : w.message, { max: 200 })}`);
    if (!opts.verbose && r.warnings.length > 15) out.push(`  … ${r.warnings.length - 15} more (--verbose or --json)`);
  }
  if (r.suppressed.length) out.push('', paint('dim', `${r.suppressed.length} finding(s) suppressed by the policy`));
  if (r.baseline) {
    const c = r.baseline.counts;
    out.push('', `${paint('bold', 'Against the baseline')} ${escapeControls(r.baseline.file)}: ${c.new} new, ${c.changed} changed, ${c.unchanged} unchanged, ${c.gone} gone (only new and changed count for --fail-on)`);
    for (const g of r.baseline.gone) out.push(`  GONE ${g.severity.toUpperCase()} ${escapeControls(g.title, { max: 160 })}${g.path ? `  ${escapeControls(g.path)}` : ''}`);
  }
  const na = r.detectors.filter((d) => d.notAvailable).map((d) => `${d.id} (${d.notAvailable})`);
  out.push('', paint('dim', `Detectors: ${r.detectors.map((d) => `${d.id} ${d.examined}`).join(', ')}${na.length ? `; skipped: ${na.join(', ')}` : ''}`));
  const failing = r.findings.filter((f) => severityRank(f.severity) >= severityRank(opts.failOn) && f.drift !== 'unchanged').length;
  out.push(
    `Summary: ${SEVERITIES.slice()
      .reverse()
      .map((s) => `${counts[s]} ${s}`)
      .join(', ')}; ${failing ? paint('red', `${failing} at or above ${opts.failOn}: exit 1`) : paint('green', `nothing at or above ${opts.failOn}: exit 0`)}`,
  );
  return out.join('\n');
}
