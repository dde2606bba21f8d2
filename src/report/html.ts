import { SEVERITIES } from '../core/finding.js';
import { shellLine } from '../core/shell.js';
import type { CaseReport, ReportFinding } from './model.js';
import { esc, timelineSvgs } from './svg.js';

/**
 * The page fits its window: fixed table layouts (no column widens the page), evidence in a wrapping
 * monospace block that breaks at spaces and `/` (and anywhere only when a token is longer than its
 * column), long evidence folded, remediation always in view, and a print stylesheet for A4.
 */
const CSS = `*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:1.35em;margin:.2em 0 .4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}h3{font-size:1em}
.verdict{font-size:1.12em;font-weight:600;padding:.6em .8em;border-left:6px solid #999;background:#f5f5f5}
.verdict.compromised{border-color:#b71c1c;background:#fdecea}.verdict.suspicious{border-color:#e65100;background:#fff3e0}
.verdict.incomplete{border-color:#5d4037;background:#efebe9}.verdict.clean{border-color:#2e7d32;background:#e8f5e9}
table{border-collapse:collapse;width:100%;table-layout:fixed;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f4f4f4}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}code{overflow-wrap:anywhere}
.ev{display:block;white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:2px 4px;margin:0}
pre{background:#f6f6f6;padding:.5em .6em;white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0}
details>summary{cursor:pointer}details[open]>summary{color:#666}
.sev{font-weight:bold;text-transform:uppercase;font-size:12px}.sev.critical{color:#7b1fa2}.sev.high{color:#d32f2f}.sev.medium{color:#f57c00}.sev.low{color:#1976d2}.sev.info{color:#757575}
.muted{color:#666}.small{font-size:12px}ol#next>li{margin-bottom:.8em}ol#next p{margin:.15em 0}
svg.timeline{width:100%;max-width:100%;height:auto;display:block;border:1px solid #eee;margin:.5em 0}
@media print{@page{size:A4;margin:12mm}body{max-width:none;margin:0;padding:0;font-size:9pt}
table{font-size:8pt}code,pre,.ev{font-size:7.5pt}tr,li,svg{break-inside:avoid}h2,h3{break-after:avoid}.verdict{border-width:3px}}`;

/** Escaped text with a line-break opportunity after each `/`: paths and URLs wrap at their slashes. */
const wrap = (s: string): string => esc(s).replace(/\//g, '/<wbr>');

/** Evidence as a wrapping monospace block; past a few lines, folded behind its first 160 characters. */
function evidence(s: string): string {
  if (s.length <= 240) return `<code class="ev">${wrap(s)}</code>`;
  return `<details><summary><code>${wrap(s.slice(0, 160))}…</code> <span class="muted small">(${s.length} characters)</span></summary><code class="ev">${wrap(s)}</code></details>`;
}

function findingCell(f: ReportFinding, multi: boolean): string {
  const meta = [esc(f.source), f.drift ? `<em>${f.drift}</em>` : '', multi ? `host ${esc(f.host)}` : ''].filter(Boolean).join(' · ');
  const c = f.container;
  const container = c ? `<div class="small">in container <code>${esc(c.name ?? c.id ?? '?')}</code>${c.image ? ` (image <code>${wrap(c.image)}</code>)` : ''}${c.project ? `, project ${esc(c.project)}${c.service ? ` service ${esc(c.service)}` : ''}` : ''}</div>` : '';
  return `<strong>${esc(f.title)}</strong><div class="muted small">${meta}</div>${f.where ? `<div><code>${wrap(f.where)}</code></div>` : ''}${f.time ? `<div class="muted small">${esc(f.time)}</div>` : ''}${container}`;
}

/** report.html: one file, no script, no network (a CSP forbids both), the timeline as inline SVG. */
export function renderHtml(r: CaseReport): string {
  const multi = r.hosts.length > 1;
  const H: string[] = [];
  H.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">');
  H.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  H.push(`<title>${esc(r.verdict.text.replace(/^Verdict: /, '').split('.')[0]!)}: case ${esc(r.caseId)}</title><style>${CSS}</style></head><body>`);
  H.push(`<h1>Case ${esc(r.caseId)}: ${esc(r.playbook)} playbook (v${r.version})</h1>`);
  H.push(`<p id="verdict" class="verdict ${r.verdict.level}">${esc(r.verdict.text)}</p>`);
  const count = (s: string): number => r.findings.filter((f) => f.severity === s).length;
  H.push(`<p class="muted">Hosts: ${r.hosts.map((h) => `${esc(h.label)} (${esc(h.status)})`).join(', ')}. Findings: ${[...SEVERITIES].reverse().filter((s) => s !== 'info').map((s) => `<span class="sev ${s}">${count(s)} ${s}</span>`).join(', ')}. Started ${esc(r.startedAt)}, written ${esc(r.generatedAt)}; all times UTC.</p>`);

  H.push('<h2>Timeline</h2>', timelineSvgs(r));
  H.push('<h2>What to do next</h2><ol id="next">');
  for (const n of r.next) {
    H.push(`<li><p><strong>${esc(n.title)}</strong></p><p>${esc(n.why)}</p>${n.finding ? `<p class="muted small">Because of ${esc(n.finding)}</p>` : ''}<pre>${esc(n.commands.join('\n'), { multiline: true })}</pre></li>`);
  }
  if (!r.next.length) H.push('<li>Nothing urgent. Keep the case directory; run the hygiene playbook again to see what changes.</li>');
  H.push('</ol>');


  H.push('<h2>Findings by severity</h2><table id="findings"><colgroup><col style="width:10%"><col style="width:30%"><col style="width:32%"><col style="width:28%"></colgroup><thead><tr><th>severity</th><th>finding</th><th>evidence</th><th>remediation</th></tr></thead><tbody>');
  for (const f of r.findings) H.push(`<tr class="${f.severity}"><td class="sev ${f.severity}">${f.severity}</td><td>${findingCell(f, multi)}</td><td>${evidence(f.evidence)}</td><td>${esc(f.remediation ?? '')}</td></tr>`);
  if (!r.findings.length) H.push('<tr><td colspan="4">None.</td></tr>');
  H.push('</tbody></table>');

  H.push(`<h2>What happened</h2><table id="events"><colgroup><col style="width:12.5em"><col style="width:7.5em">${multi ? '<col style="width:8em">' : ''}<col></colgroup><thead><tr><th>time</th><th>kind</th>${multi ? '<th>host</th>' : ''}<th>event</th></tr></thead><tbody>`);
  for (const e of r.timeline.slice(0, 500)) H.push(`<tr><td>${esc(e.time)}</td><td>${esc(e.kind)}</td>${multi ? `<td>${esc(e.host)}</td>` : ''}<td>${wrap(e.text)}</td></tr>`);
  if (r.timeline.length > 500) H.push(`<tr><td colspan="${multi ? 4 : 3}">… ${r.timeline.length - 500} more in the steps' JSON</td></tr>`);
  if (!r.timeline.length) H.push(`<tr><td colspan="${multi ? 4 : 3}">No dated events: auth-review, persistence-scan and isolate left nothing with a time.</td></tr>`);
  H.push('</tbody></table>');

  H.push('<h2>Evidence</h2><ul id="evidence">');
  for (const e of r.evidence) H.push(`<li>${multi ? `${esc(e.host)}: ` : ''}${esc(e.what)}: <code>${wrap(e.path)}</code>${e.sha256 ? `<br>sha256 <code>${esc(e.sha256)}</code>` : ''}<pre>${esc(e.verify)}</pre></li>`);
  if (!r.evidence.length) H.push('<li>No evidence archive in this case: the playbook collected none (the incident playbook does; or ir collect --case).</li>');
  H.push('</ul>');

  H.push('<h2>Actions taken</h2><ul id="actions">');
  for (const a of r.actions) H.push(`<li>${esc(a.time)} ${multi ? `[${esc(a.host)}] ` : ''}${esc(a.text)}${a.argv ? `<pre>${esc(shellLine(a.argv))}</pre>` : ''}</li>`);
  if (!r.actions.length) H.push('<li>None.</li>');
  H.push('</ul><h2>Steps</h2>');
  for (const h of r.hosts) {
    H.push(`${multi ? `<h3>${esc(h.label)} (${esc(h.status)})</h3>` : ''}${h.error ? `<p class="muted">${esc(h.error)}</p>` : ''}<table class="steps"><colgroup><col style="width:2.5em"><col style="width:18%"><col style="width:18%"><col><col style="width:5em"><col style="width:24%"></colgroup><thead><tr><th>#</th><th>step</th><th>command</th><th>status</th><th>seconds</th><th>output</th></tr></thead><tbody>`);
    for (const s of h.steps) H.push(`<tr><td>${s.n}</td><td>${esc(s.name)}</td><td>${esc(s.command)}</td><td>${esc(s.status)}${s.message ? `: ${wrap(s.message)}` : ''}</td><td>${s.seconds?.toFixed(1) ?? ''}</td><td>${s.output ? `<code>${wrap(s.output)}</code>` : ''}</td></tr>`);
    if (!h.steps.length) H.push('<tr><td colspan="6">No step ran.</td></tr>');
    H.push('</tbody></table>');
  }
  H.push('</body></html>');
  return H.join('\n') + '\n';
}
