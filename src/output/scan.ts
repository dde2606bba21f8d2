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
  const unread = r.containers?.runs.filter((x) => x.error) ?? [];
  if (unread.length) out.push(paint('red', `${unread.length} container(s) could not be read, so nothing found there means nothing: ${unread.map((x) => escapeControls(x.name)).join(', ')} (see Containers below)`));
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, r.findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  const onHost = r.findings.filter((f) => !f.container);
  for (const sev of [...SEVERITIES].reverse()) {
    const group = onHost.filter((f) => f.severity === sev);
    if (group.length === 0) continue;
    if (sev === 'info' && !opts.verbose) {
      out.push('', `${severityLabel('info')} ${group.length} inventory items (crontab entries, keys, listeners): --verbose lists them, --json has them all`);
      continue;
    }
    out.push('', `${severityLabel(sev)} (${group.length})`);
    for (const f of group) out.push(...findingBlock(f));
  }
  if (r.findings.length === 0) out.push('', 'No findings.');
  out.push(...renderContainers(r, opts));
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

/**
 * Findings inside containers, grouped by container (worst first), after the host's; then each scanned
 * container's line: how its files were read, what fell back, what could not be read.
 */
export function renderContainers(r: ScanReport, opts: RenderOptions): string[] {
  const out: string[] = [];
  const byName = new Map<string, Finding[]>();
  for (const f of r.findings) if (f.container) byName.set(f.container.name, [...(byName.get(f.container.name) ?? []), f]);
  const runs = r.containers?.runs ?? [];
  const names = [...new Set([...byName.keys(), ...runs.map((x) => x.name)])];
  const worst = (n: string) => Math.max(-1, ...(byName.get(n) ?? []).map((f) => severityRank(f.severity)));
  names.sort((a, b) => worst(b) - worst(a) || a.localeCompare(b));
  for (const name of names) {
    const fs = byName.get(name) ?? [];
    const shown = opts.verbose ? fs : fs.filter((f) => f.severity !== 'info');
    if (shown.length === 0) continue;
    const c = fs[0]!.container!;
    const who = [c.project && c.service ? `${c.project}/${c.service}` : undefined, c.image || undefined].filter(Boolean).join(', ');
    out.push('', `${paint('bold', `Container ${escapeControls(name)}`)}${who ? `  (${escapeControls(who)})` : ''}  ${fs.length} finding(s)`);
    for (const sev of [...SEVERITIES].reverse()) {
      const group = shown.filter((f) => f.severity === sev);
      if (group.length === 0) continue;
      out.push(`  ${severityLabel(sev)} (${group.length})`);
      for (const f of group) out.push(...findingBlock(f).map((l) => `  ${l}`));
    }
  }
  const cs = r.containers;
  if (!cs) return out;
  const VIEW = { running: 'its running root (/proc/PID/root)', layers: 'its overlay2 layers', 'docker-cp': 'docker diff + docker cp', none: 'nothing readable' } as const;
  const failed = cs.runs.filter((x) => x.error);
  out.push('', paint('bold', `Containers: ${cs.runs.length} scanned${failed.length ? `, ${failed.length} NOT READ` : ''}; ${cs.images} image(s) judged once each (${cs.source === 'docker' ? 'engine' : 'data root'} ${escapeControls(cs.dataRoot)}, ${cs.imageStore} image store)`));
  for (const n of cs.notes) out.push(`  ${paint('yellow', 'note:')} ${escapeControls(n, { max: 300 })}`);
  for (const x of cs.runs) {
    const reuse = x.imageScanReused ? (x.rescanned.length ? `image findings reused, rescanned ${x.rescanned.join(',')}` : 'image findings reused') : x.rescanned.length ? 'scanned itself' : 'not scanned by the detectors';
    out.push(`  ${x.error ? paint('red', 'NOT READ') : 'ok'}  ${escapeControls(x.name)}  ${x.state}  read from ${VIEW[x.view]}; ${x.changes} change(s) (${x.changesFrom === 'none' ? 'unknown' : x.changesFrom}); ${reuse}; ${x.findings} finding(s)`);
    for (const n of x.notes) out.push(`      ${paint('yellow', 'note:')} ${escapeControls(n, { max: 300 })}`);
  }
  return out;
}
