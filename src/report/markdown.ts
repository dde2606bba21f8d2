import { SEVERITIES } from '../core/finding.js';
import type { CaseReport } from './model.js';

/** Untrusted text in Markdown: no HTML a viewer would render, no table or line breaks. */
function md(s: string, max = 300): string {
  const t = s.replace(/[\r\n\t]+/g, ' ').replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!).replace(/\|/g, '\\|').replace(/([`*_[\]])/g, '\\$1');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Evidence as a code span: backticks inside become ' so the span cannot be closed early. */
function code(s: string, max = 200): string {
  const t = s.replace(/[\r\n\t]+/g, ' ').replace(/`/g, "'").replace(/\|/g, '\\|');
  return `\`${t.length > max ? `${t.slice(0, max - 1)}…` : t}\``;
}

/** report.md: what a person reads first. */
export function renderMarkdown(r: CaseReport): string {
  const L: string[] = [];
  const count = (s: string): number => r.findings.filter((f) => f.severity === s).length;
  L.push(`# Case ${md(r.caseId)}: ${md(r.playbook)} playbook (v${r.version})`, '');
  L.push(`Started ${r.startedAt}, report written ${r.generatedAt} (all times UTC). Hosts: ${r.hosts.map((h) => `${md(h.label)} (${h.status})`).join(', ')}.`, '');
  L.push(`Findings: ${[...SEVERITIES].reverse().filter((s) => s !== 'info').map((s) => `${count(s)} ${s}`).join(', ')}. The timeline chart is in report.html.`, '');
  L.push('## What happened', '');
  if (!r.timeline.length) L.push('No dated events: auth-review, persistence-scan and isolate left nothing with a time.', '');
  for (const e of r.timeline.slice(0, 300)) L.push(`- ${e.time} **${e.kind}**${r.hosts.length > 1 ? ` [${md(e.host)}]` : ''} ${md(e.text)}`);
  if (r.timeline.length > 300) L.push(`- … ${r.timeline.length - 300} more in the steps' JSON`);
  L.push('', '## Findings by severity', '');
  if (!r.findings.length) L.push('None.', '');
  for (const s of [...SEVERITIES].reverse()) {
    const fs = r.findings.filter((f) => f.severity === s);
    if (!fs.length) continue;
    L.push(`### ${s.toUpperCase()} (${fs.length})`, '', '| host | source | finding | where | evidence | remediation |', '|---|---|---|---|---|---|');
    for (const f of fs.slice(0, 200)) L.push(`| ${md(f.host)} | ${md(f.source)}${f.drift ? ` (${f.drift})` : ''} | ${md(f.title)} | ${f.where ? code(f.where) : ''}${f.time ? ` ${f.time}` : ''} | ${code(f.evidence)} | ${md(f.remediation ?? '')} |`);
    L.push('');
  }
  L.push('## Actions taken', '');
  for (const a of r.actions) L.push(`- ${a.time}${r.hosts.length > 1 ? ` [${md(a.host)}]` : ''} ${md(a.text)}${a.argv ? ` — ${code(`ir ${a.argv.join(' ')}`.replace(/^ir docker/, 'docker'), 300)}` : ''}`);
  if (r.evidence.length) {
    L.push('', '## Evidence', '');
    for (const e of r.evidence) L.push(`- ${md(e.host)}: ${code(e.path)}${e.sha256 ? ` sha256 ${code(e.sha256)}` : ''} (check with \`ir evidence verify\`)`);
  }
  L.push('', '## What to do next', '');
  if (!r.next.length) L.push('Nothing urgent. Keep the case directory; run the hygiene playbook again to see drift.');
  r.next.forEach((n, i) => {
    L.push(`${i + 1}. **${md(n.title)}**: ${md(n.why, 600)}`, '', '   ```bash', ...n.commands.map((c) => `   ${c.replace(/[\r\n]/g, ' ')}`), '   ```', '');
  });
  L.push('## Steps', '');
  for (const h of r.hosts) {
    if (r.hosts.length > 1) L.push(`### ${md(h.label)} (${h.status})`, '');
    L.push('| # | step | command | status | seconds | output |', '|---|---|---|---|---|---|');
    for (const s of h.steps) L.push(`| ${s.n} | ${md(s.name)} | ${md(s.command)} | ${s.status}${s.message ? `: ${md(s.message, 120)}` : ''} | ${s.seconds?.toFixed(1) ?? ''} | ${s.output ? code(s.output) : ''} |`);
    L.push('');
  }
  return L.join('\n') + '\n';
}
