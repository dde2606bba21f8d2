import { shellLine } from '../core/shell.js';
import { paint, table } from './format.js';
import { escapeControls } from '../core/escape.js';
import type { LoadedPlaybook, PlaybookEntry, PlaybookIssue } from '../playbook/load.js';
import { formatIssue } from '../playbook/load.js';
import type { PlaybookRun } from '../playbook/runner.js';
import { mustExistVars, varDefaults } from '../playbook/schema.js';

export function renderList(entries: PlaybookEntry[], descriptions: Map<string, string>): string {
  return table(
    entries.map((e) => [e.name + (e.shadowed ? ' (hidden)' : ''), e.origin, escapeControls(descriptions.get(e.file) ?? '', { max: 70 }), e.file]),
    ['NAME', 'FROM', 'DESCRIPTION', 'FILE'],
  );
}

export function renderShow(l: LoadedPlaybook): string {
  const p = l.playbook;
  const out = [paint('bold', `${p.name} v${p.version}`) + `  ${l.file}`, escapeControls(p.description.trim(), { multiline: true }), ''];
  const defaults = varDefaults(p);
  const must = mustExistVars(p);
  if (Object.keys(p.vars).length) {
    out.push('vars (--set NAME=VALUE):');
    for (const [k, v] of Object.entries(p.vars)) {
      const d = defaults[k];
      const desc = v !== null && typeof v === 'object' && v.description ? `  ${escapeControls(v.description)}` : '';
      out.push(`  ${k} = ${d === null || d === undefined ? '(unset)' : escapeControls(d)}${must.includes(k) ? ' (must exist when set)' : ''}${desc}`);
    }
    out.push('');
  }
  p.steps.forEach((s, i) => {
    const flags = [s.confirm ? 'changes the host: asks first' : '', s.continue_on_error ? 'continues on error' : ''].filter(Boolean).join(', ');
    const what = s.command === 'report' ? 'built-in report (report.md, report.html, findings.json)' : `ir ${s.command}${s.args.length ? ` ${s.args.map((a) => escapeControls(a)).join(' ')}` : ''}`;
    out.push(`${i + 1}. ${paint('bold', s.name)}: ${what}${flags ? `  (${flags})` : ''}`);
    if (s.source) out.push(`   source: ${escapeControls(s.source)}`);
    if (s.description) out.push(`   ${escapeControls(s.description.trim(), { multiline: true }).replace(/\n/g, '\n   ')}`);
    for (const [k, v] of Object.entries(s.with)) out.push(`   ${s.command === 'report' ? `${k}:` : `--${k}`} ${escapeControls(JSON.stringify(v))}`);
    if (s.when) out.push(`   when: ${escapeControls(JSON.stringify(s.when))}`);
  });
  return out.join('\n');
}

/** A progress line of a run on stderr: host values shown with their control bytes escaped. */
export function renderProgress(line: string): string {
  return escapeControls(line);
}

export function renderIssues(issues: PlaybookIssue[]): string {
  return issues.map((i) => escapeControls(formatIssue(i))).join('\n');
}

function statusText(s: string): string {
  switch (s) {
    case 'ok':
      return paint('green', s);
    case 'findings':
      return paint('yellow', s);
    case 'error':
    case 'unreachable':
      return paint('red', s);
    default:
      return paint('dim', s);
  }
}

export function renderRun(r: PlaybookRun): string {
  const out: string[] = [];
  if (r.dryRun) {
    out.push(paint('bold', `dry run of ${r.playbook} v${r.version}: nothing is run, nothing written`) + ` (case would be ${r.case})`);
    for (const h of r.hosts) {
      if (r.hosts.length > 1 || h.spec) out.push('', paint('bold', `host ${escapeControls(h.label)}`) + (h.spec ? ` (${escapeControls(h.spec)})` : '') + ` → ${h.dir}`);
      if (h.error) out.push(paint('red', `refused: ${escapeControls(h.error)}`));
      for (const s of h.steps) {
        const head = `${s.n}. ${s.name}`;
        if (s.command === 'report') out.push(`${head}: write report.md, report.html and findings.json into the case`);
        else if (s.status === 'skipped') out.push(`${head}: ${paint('dim', `skipped: ${escapeControls(s.reason ?? '')}`)}`);
        else out.push(`${head}${s.reason ? ` (${escapeControls(s.reason)})` : ''}:\n   ir ${escapeControls(shellLine(s.argv))}${s.omitted?.length ? paint('dim', `\n   (left out, template empty: ${s.omitted.join(', ')})`) : ''}`);
      }
    }
    return out.join('\n');
  }
  if (r.verdict) out.push(paint('bold', escapeControls(r.verdict.text)), '');
  out.push(
    table(
      r.hosts.map((h) => [escapeControls(h.label), statusText(h.status), String(h.exitCode), h.steps.map((s) => `${s.name}:${s.status}`).join(' '), `${h.seconds.toFixed(1)}s`, escapeControls(h.error ?? h.steps.find((s) => s.status === 'error')?.reason ?? '', { max: 80 })]),
      ['HOST', 'STATUS', 'EXIT', 'STEPS', 'TIME', 'ERROR'],
    ),
  );
  out.push('', `case ${r.case}${r.report.length ? `: read ${r.report[0]} first` : ''} (${r.seconds.toFixed(1)}s, exit ${r.exitCode})`);
  return out.join('\n');
}
