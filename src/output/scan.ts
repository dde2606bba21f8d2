import { SEVERITIES, severityRank, type Finding, type Severity } from '../core/finding.js';
import type { ScanReport } from '../scan/engine.js';
import { escapeControls } from '../core/escape.js';
import { paint, severityLabel } from './format.js';

export interface RenderOptions {
  verbose?: boolean;
  failOn: Severity;
}

/** Warnings shown without --verbose. */
const WARNINGS_SHOWN = 15;

const t = (s: string, max?: number): string => escapeControls(s, max ? { max } : {});

function findingBlock(f: Finding): string[] {
  const where = [f.path ? `${f.path}${f.line ? `:${f.line}` : ''}` : undefined, f.pid !== undefined ? `pid ${f.pid}` : undefined, f.user ? `user ${f.user}` : undefined, f.attack ? `[${f.attack}]` : undefined]
    .filter(Boolean)
    .join('  ');
  const drift = f.drift && f.drift !== 'unchanged' ? paint('bold', ` (${f.drift.toUpperCase()})`) : '';
  const lines = [`  ${paint('bold', t(f.title, 160))}${drift}`];
  if (where) lines.push(`    ${paint('dim', t(where, 200))}`);
  lines.push(`    > ${t(f.evidence, 200)}`);
  lines.push(`    why: ${t(f.reason, 300)}`);
  if (f.remediation) lines.push(`    next: ${t(f.remediation, 300)}`);
  lines.push(`    ${paint('dim', `rule ${t(f.rule)}  key ${t(f.key)}`)}`);
  return lines;
}

/**
 * The findings, worst severity first. One group per severity; `group` can split a severity further
 * (by container, for instance) without touching the rest of the renderer.
 */
export function findingSections(findings: Finding[], opts: RenderOptions & { group?: (f: Finding) => string | undefined; emptyText?: string }): string[] {
  const out: string[] = [];
  for (const sev of [...SEVERITIES].reverse()) {
    const list = findings.filter((f) => f.severity === sev);
    if (list.length === 0) continue;
    if (sev === 'info' && !opts.verbose) {
      out.push('', `${severityLabel('info')} ${list.length} inventory items (crontab entries, keys, listeners): --verbose lists them, --json has them all`);
      continue;
    }
    out.push('', `${severityLabel(sev)} (${list.length})`);
    const groups = new Map<string | undefined, Finding[]>();
    for (const f of list) groups.set(opts.group?.(f), [...(groups.get(opts.group?.(f)) ?? []), f]);
    for (const [name, fs] of groups) {
      if (name !== undefined) out.push(`  ${paint('bold', `[${t(name, 80)}]`)}`);
      for (const f of fs) out.push(...findingBlock(f));
    }
  }
  if (findings.length === 0) out.push('', opts.emptyText ?? 'No findings.');
  return out;
}

/** A warning's line: the path once, then what is wrong with it. */
function warningLine(w: { detector: string; path?: string; message: string }): string {
  return `  ${w.detector}: ${t(w.path ? `${w.path}: ${w.message}` : w.message, 200)}`;
}

/** The answer, first and last: a scan that could not evaluate something is never "nothing found". */
export function scanVerdict(r: ScanReport, failOn: Severity): string {
  const failing = r.findings.filter((f) => severityRank(f.severity) >= severityRank(failOn) && f.drift !== 'unchanged').length;
  const found = failing ? `${failing} finding${failing > 1 ? 's' : ''} at or above ${failOn}${r.baseline ? ' (new or changed)' : ''}` : `nothing at or above ${failOn}${r.baseline ? ' that is new or changed' : ''}`;
  if (r.errors.length) {
    const ids = [...new Set(r.errors.map((e) => e.detector))];
    const shown = ids.slice(0, 4).join(', ') + (ids.length > 4 ? `, and ${ids.length - 4} more` : '');
    return paint('red', `ERROR: ${ids.length} detector${ids.length > 1 ? 's' : ''} could not evaluate input that exists (${shown}): this scan is incomplete, see Errors; ${found}: exit 2`);
  }
  return failing ? paint('red', `${found}: exit 1`) : paint('green', `OK: ${found}: exit 0`);
}

/** "Not read fully": counted at the top, so fifteen malformed cron lines cannot push it out of sight. */
function unreadLine(r: ScanReport): string | undefined {
  if (r.unread.length === 0) return undefined;
  const kinds = new Map<string, number>();
  for (const u of r.unread) {
    const k = /^too large/.test(u.reason)
      ? 'too large to read whole'
      : /over .* judged/.test(u.reason)
        ? 'with lines too long to judge whole'
        : /not a regular file/.test(u.reason)
          ? 'not regular files'
          : /detector failed/.test(u.reason)
            ? 'detectors that failed'
            : /not checked|walk stopped/.test(u.reason)
              ? 'not checked'
              : /^line \d+:|unsupported|missing argument|not JSON|malformed/.test(u.reason)
                ? 'not understood'
                : 'unreadable';
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const parts = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
  return paint('yellow', `Not read fully: ${r.unread.length} item${r.unread.length > 1 ? 's' : ''} (${parts}); see Not read fully below`);
}

/** Human output, rendered from the same report `--json` prints: the verdict, what was not read, findings worst first. */
export function renderScan(r: ScanReport, opts: RenderOptions & { group?: (f: Finding) => string | undefined }): string {
  const secs = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
  const failOn = r.failOn ?? opts.failOn;
  const out: string[] = [];
  out.push(`${paint('bold', 'ir persistence-scan')}  host ${t(r.host)} (${r.target})  ${r.detectors.length} detectors  ${secs.toFixed(2)} s  ${r.startedAt}`);
  out.push(scanVerdict(r, failOn));
  const unread = unreadLine(r);
  if (unread) out.push(unread);
  const unreadContainers = r.containers?.runs.filter((x) => x.error) ?? [];
  if (unreadContainers.length) out.push(paint('red', `${unreadContainers.length} container(s) could not be read, so nothing found there means nothing: ${unreadContainers.map((x) => t(x.name)).join(', ')} (see Containers below)`));
  // the host's findings by severity, then each container's (renderContainers)
  out.push(...findingSections(r.findings.filter((f) => !f.container), { ...opts, emptyText: r.findings.length ? 'No findings on the host itself.' : 'No findings.' }));
  out.push(...renderContainers(r, opts));
  if (r.errors.length) {
    out.push('', paint('red', `Errors (${r.errors.length}): input that exists but could not be evaluated`));
    for (const e of r.errors) out.push(warningLine(e));
  }
  if (r.unread.length) {
    out.push('', paint('yellow', `Not read fully (${r.unread.length})`));
    for (const u of r.unread.slice(0, opts.verbose ? undefined : WARNINGS_SHOWN)) out.push(warningLine({ detector: u.detector, path: u.path, message: u.reason }));
    if (!opts.verbose && r.unread.length > WARNINGS_SHOWN) out.push(`  … ${r.unread.length - WARNINGS_SHOWN} more (--verbose or --json)`);
  }
  const errorSet = new Set(r.errors);
  const warnings = r.warnings.filter((w) => !errorSet.has(w) && !r.errors.some((e) => e.detector === w.detector && e.path === w.path && e.message === w.message));
  if (warnings.length) {
    out.push('', paint('yellow', `Warnings (${warnings.length}): items that could not be read or parsed; the scan went on`));
    for (const w of warnings.slice(0, opts.verbose ? undefined : WARNINGS_SHOWN)) out.push(warningLine(w));
    if (!opts.verbose && warnings.length > WARNINGS_SHOWN) out.push(`  … ${warnings.length - WARNINGS_SHOWN} more (--verbose or --json)`);
  }
  if (r.suppressed.length) out.push('', paint('dim', `${r.suppressed.length} finding(s) suppressed by the policy`));
  if (r.baseline) {
    const c = r.baseline.counts;
    out.push('', `${paint('bold', 'Against the baseline')} ${t(r.baseline.file)}: ${c.new} new, ${c.changed} changed, ${c.unchanged} unchanged, ${c.gone} gone (only new and changed count for --fail-on)`);
    for (const g of r.baseline.gone) out.push(`  GONE ${g.severity.toUpperCase()} ${t(g.title, 160)}${g.path ? `  ${t(g.path)}` : ''}`);
  }
  const na = r.detectors.filter((d) => d.notAvailable).map((d) => `${d.id} (${t(d.notAvailable!)})`);
  out.push('', paint('dim', `Detectors: ${r.detectors.map((d) => `${d.id} ${d.examined}`).join(', ')}${na.length ? `; skipped: ${na.join(', ')}` : ''}`));
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, r.findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  out.push(
    `Summary: ${SEVERITIES.slice()
      .reverse()
      .map((s) => `${counts[s]} ${s}`)
      .join(', ')}`,
  );
  out.push(scanVerdict(r, failOn));
  return out.join('\n');
}

/** One host's line in a fleet table. */
export function scanSummary(r: ScanReport): string {
  const counts = ['critical', 'high', 'medium'].map((s) => `${r.findings.filter((f) => f.severity === s).length} ${s}`).join(', ');
  return `${counts}${r.errors.length ? `, ${new Set(r.errors.map((e) => e.detector)).size} detectors incomplete` : ''}${r.unread.length ? `, ${r.unread.length} not read fully` : ''}`;
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
