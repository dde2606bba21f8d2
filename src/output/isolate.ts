import { shellLine } from '../core/shell.js';
import { escapeControls } from '../core/escape.js';
import type { Plan } from '../isolate/plan.js';
import { MODE_KEEPS, type Action, type ActionResult, type IsolateResult, type ProjectRef, type RestoreResult, type SelfTest } from '../isolate/schema.js';


function pad(rows: [string, string][]): string[] {
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `  ${escapeControls(a.padEnd(w))}  ${escapeControls(b)}`);
}

export function renderPlan(p: { project: ProjectRef; mode: IsolateResult['mode']; plan: Plan | Action[]; caseDir: string; host: string; snapshot: boolean }): string {
  const actions = Array.isArray(p.plan) ? p.plan : p.plan.actions;
  const warnings = Array.isArray(p.plan) ? [] : p.plan.warnings;
  const cut = actions.filter((a) => a.kind !== 'compose-down');
  const destroy = actions.filter((a) => a.kind === 'compose-down');
  const lines = [
    `Plan: isolate Compose project ${escapeControls(p.project.name)} on ${escapeControls(p.host)}, mode ${p.mode}`,
    `  (${MODE_KEEPS[p.mode]})`,
    p.snapshot ? `  1. snapshot of every container (logs, inspect, diff, top, stats, networks, tmpfs) into ${escapeControls(p.caseDir)}/` : '  1. NO snapshot (--no-snapshot)',
    '  2. cut:',
    ...pad(cut.map((a) => [a.subject, shellLine(a.argv)])),
    p.snapshot ? "  3. copy each container's writable layer into the snapshot (docker/<project>/<container>/layer/), seal it" : '  3. no copy of the writable layers (--no-snapshot)',
    ...(destroy.length ? ['  4. only then remove:', ...pad(destroy.map((a) => [a.subject, shellLine(a.argv)]))] : []),
    ...warnings.map((w) => `  ! ${escapeControls(w)}`),
    `  then: self-test; journal ${p.caseDir}/isolation.json`,
  ];
  return lines.join('\n');
}

export function renderRestorePlan(caseDir: string, plan: Action[]): string {
  return [`Plan: restore from ${caseDir}/isolation.json`, ...pad(plan.map((a) => [a.subject, shellLine(a.argv)])), '  then: check that every container runs (healthy where it has a healthcheck)'].join('\n');
}

export function renderActions(actions: ActionResult[]): string[] {
  return actions.map((a) => `  ${a.ok ? 'ok  ' : 'FAIL'} ${escapeControls(shellLine(a.argv))}${a.ok ? '' : `: ${escapeControls(a.stderr ?? `exit ${a.code}`)}`}`);
}

export function renderCheck(title: string, t: SelfTest): string[] {
  return [`${title}: ${t.ok ? 'passed' : 'FAILED'}`, ...t.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${escapeControls(c.subject)}: ${escapeControls(c.actual)}${c.ok ? '' : ` (expected ${c.expected})`}`)];
}

export function renderIsolateResult(r: IsolateResult): string {
  if (r.dryRun) return 'dry run: nothing was changed';
  const lines: string[] = [];
  if (r.snapshot) lines.push(`snapshot: ${escapeControls(r.snapshot.path)} (${r.snapshot.files} files, ${r.snapshot.bytes} bytes, sha256 ${r.snapshot.sha256})`);
  for (const l of r.snapshot?.layers ?? []) {
    const how = { layer: 'from its layer directory', running: 'through the running container', 'docker-cp': 'with docker cp', none: 'NOT COPIED' }[l.how];
    lines.push(`  writable layer of ${escapeControls(l.name)}: ${l.files} file(s), ${l.links} link(s), ${l.bytes} bytes, ${l.deleted} deletion(s), ${how}${l.cut ? `, ${l.cut} cut` : ''}${l.skipped ? `, ${l.skipped} not stored (see acquisition.log)` : ''}`);
  }
  lines.push('actions:', ...renderActions(r.actions));
  if (r.steps?.length) lines.push(`steps: ${r.steps.map((s) => `${s.step}${s.ok ? '' : ' FAILED'}`).join(' → ')}`);
  if (r.selfTest) lines.push(...renderCheck('self-test', r.selfTest));
  lines.push(`journal: ${r.journal}`, `time: ${r.seconds.total} s (snapshot ${r.seconds.snapshot ?? 0} s, act ${r.seconds.act ?? 0} s, self-test ${r.seconds.selfTest ?? 0} s)`);
  if (r.selfTest && !r.selfTest.ok) lines.push('isolation is NOT complete: see the failed checks above');
  else lines.push(`undo with: ir restore --case ${r.case}`);
  return lines.join('\n');
}

export function renderRestoreResult(r: RestoreResult): string {
  if (r.dryRun || !r.record) return 'dry run: nothing was changed';
  return ['actions:', ...renderActions(r.record.actions), ...renderCheck('check', r.record.check), `time: ${r.seconds} s`].join('\n');
}
