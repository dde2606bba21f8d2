import { escapeControls } from '../core/escape.js';
import { SEVERITIES } from '../core/finding.js';
import { shellLine } from '../core/shell.js';
import type { CaseReport } from './model.js';

/**
 * Untrusted text in Markdown, readable with `cat` as well as in a viewer: control bytes shown
 * escaped (core/escape.ts), one line, and the characters that would make Markdown backslash-escaped:
 * `&` stays (`&&` is `&&`) unless it would start an entity, `<` only where it would start a tag.
 */
function md(s: string, max = 300): string {
  return escapeControls(s.replace(/[\r\n\t]+/g, ' '), { max })
    .replace(/([`*[\]|])/g, '\\$1')
    .replace(/<(?=[A-Za-z/!?])/g, '\\<')
    .replace(/&(?=[A-Za-z#][A-Za-z0-9]*;)/g, '\\&');
}

/** A code span that no backtick inside can close early: the fence is longer than any run of them. */
function code(s: string, max = 200): string {
  const t = escapeControls(s, { max }).replace(/\|/g, '\\|');
  const run = Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(run + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** A fenced block of commands only: the fence is longer than any run of backticks in them. */
function commandBlock(lines: string[], indent: string): string[] {
  const text = lines.map((l) => escapeControls(l));
  const run = Math.max(2, ...text.flatMap((l) => [...l.matchAll(/`+/g)].map((m) => m[0].length)));
  const fence = '`'.repeat(run + 1);
  return [`${indent}${fence}sh`, ...text.map((l) => `${indent}${l}`), `${indent}${fence}`];
}

/** report.md: what a person reads first; its first line is the verdict. */
export function renderMarkdown(r: CaseReport): string {
  const L: string[] = [];
  const multi = r.hosts.length > 1;
  const count = (s: string): number => r.findings.filter((f) => f.severity === s).length;
  L.push(md(r.verdict.text, 2000), '');
  L.push(`# Case ${md(r.caseId)}: ${md(r.playbook)} playbook (v${r.version})`, '');
  L.push(`Started ${md(r.startedAt)}, report written ${md(r.generatedAt)} (all times UTC). Hosts: ${r.hosts.map((h) => `${md(h.label)} (${md(h.status)})`).join(', ')}.`, '');
  L.push(`Findings: ${[...SEVERITIES].reverse().filter((s) => s !== 'info').map((s) => `${count(s)} ${s}`).join(', ')}. The timeline chart is in report.html.`, '');

  L.push('## What to do next', '');
  if (!r.next.length) L.push('Nothing urgent. Keep the case directory; run the hygiene playbook again to see what changes.', '');
  r.next.forEach((n, i) => {
    L.push(`${i + 1}. **${md(n.title)}**: ${md(n.why, 800)}`);
    if (n.finding) L.push(`   Because of ${md(n.finding, 600)}.`);
    L.push('', ...commandBlock(n.commands, '   '), '');
  });

  L.push('## What happened', '');
  if (!r.timeline.length) L.push('No dated events: auth-review, persistence-scan and isolate left nothing with a time.', '');
  for (const e of r.timeline.slice(0, 300)) L.push(`- ${md(e.time)} **${e.kind}**${multi ? ` [${md(e.host)}]` : ''} ${md(e.text)}`);
  if (r.timeline.length > 300) L.push(`- … ${r.timeline.length - 300} more in the steps' JSON`);
  if (r.chart.focus) L.push('', `The attack's window: ${md(r.chart.focus.from)} to ${md(r.chart.focus.to)} (the focus panel of report.html).`);

  L.push('', '## Findings by severity', '');
  if (!r.findings.length) L.push('None.', '');
  for (const s of [...SEVERITIES].reverse()) {
    const fs = r.findings.filter((f) => f.severity === s);
    if (!fs.length) continue;
    L.push(`### ${s.toUpperCase()} (${fs.length})`, '', '| host | source | finding | where | evidence | remediation |', '|---|---|---|---|---|---|');
    for (const f of fs.slice(0, 200)) {
      const c = f.container ? ` in container ${code(f.container.name ?? f.container.id ?? '?')}${f.container.image ? ` (${code(f.container.image)})` : ''}` : '';
      L.push(`| ${md(f.host)} | ${md(f.source)}${f.drift ? ` (${f.drift})` : ''} | ${md(f.title)} | ${[f.where ? code(f.where) : '', f.time ? md(f.time) : ''].filter(Boolean).join(' ')}${c} | ${code(f.evidence)} | ${md(f.remediation ?? '')} |`);
    }
    if (fs.length > 200) L.push(`| | | … ${fs.length - 200} more in findings.json | | | |`);
    L.push('');
  }

  L.push('## Evidence', '');
  if (!r.evidence.length) L.push('No evidence archive in this case: the playbook collected none (the incident playbook does; or ir collect --case).');
  for (const e of r.evidence) {
    L.push(`- ${multi ? `${md(e.host)}: ` : ''}${md(e.what)} ${code(e.path, 1000)}${e.sha256 ? `, sha256 ${code(e.sha256)}` : ''}`, '', ...commandBlock([e.verify], '  '), '');
  }

  L.push('', '## Actions taken', '');
  if (!r.actions.length) L.push('None.');
  for (const a of r.actions) L.push(`- ${md(a.time)}${multi ? ` [${md(a.host)}]` : ''} ${md(a.text)}${a.argv ? `: ${code(shellLine(a.argv), 1000)}` : ''}`);

  L.push('', '## Steps', '');
  for (const h of r.hosts) {
    if (multi) L.push(`### ${md(h.label)} (${md(h.status)})`, '');
    if (h.error) L.push(md(h.error, 600), '');
    L.push('| # | step | command | status | seconds | output |', '|---|---|---|---|---|---|');
    for (const s of h.steps) L.push(`| ${s.n} | ${md(s.name)} | ${md(s.command)} | ${md(s.status)}${s.message ? `: ${md(s.message, 160)}` : ''} | ${s.seconds?.toFixed(1) ?? ''} | ${s.output ? code(s.output) : ''} |`);
    if (!h.steps.length) L.push('| | no step ran | | | | |');
    L.push('');
  }
  return L.join('\n') + '\n';
}
