import { SEVERITIES } from '../core/finding.js';
import type { CaseReport } from './model.js';
import { esc, timelineSvg } from './svg.js';

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f4f4f4}
code,pre{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap}
.sev{font-weight:bold;text-transform:uppercase}.critical{color:#7b1fa2}.high{color:#d32f2f}.medium{color:#f57c00}.low{color:#1976d2}.info{color:#757575}
.muted{color:#666}svg{max-width:100%;height:auto;border:1px solid #eee}`;

/** report.html: one file, no script, no network (a CSP forbids both), the timeline as inline SVG. */
export function renderHtml(r: CaseReport): string {
  const multi = r.hosts.length > 1;
  const H: string[] = [];
  H.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">');
  H.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  H.push(`<title>Case ${esc(r.caseId)}</title><style>${CSS}</style></head><body>`);
  H.push(`<h1>Case ${esc(r.caseId)}: ${esc(r.playbook)} playbook (v${r.version})</h1>`);
  const count = (s: string): number => r.findings.filter((f) => f.severity === s).length;
  H.push(`<p class="muted">Started ${esc(r.startedAt)}, written ${esc(r.generatedAt)}, all times UTC. Hosts: ${r.hosts.map((h) => `${esc(h.label)} (${esc(h.status)})`).join(', ')}. Findings: ${[...SEVERITIES].reverse().filter((s) => s !== 'info').map((s) => `<span class="sev ${s}">${count(s)} ${s}</span>`).join(', ')}.</p>`);
  H.push('<h2>Timeline</h2>', timelineSvg(r));
  H.push('<h2>What happened</h2><table id="events"><thead><tr><th>time</th><th>kind</th>' + (multi ? '<th>host</th>' : '') + '<th>event</th></tr></thead><tbody>');
  for (const e of r.timeline.slice(0, 500)) H.push(`<tr><td>${esc(e.time)}</td><td>${esc(e.kind)}</td>${multi ? `<td>${esc(e.host)}</td>` : ''}<td>${esc(e.text)}</td></tr>`);
  H.push('</tbody></table>');
  H.push(`<h2>Findings by severity</h2><table id="findings"><thead><tr><th>severity</th>${multi ? '<th>host</th>' : ''}<th>source</th><th>finding</th><th>where</th><th>evidence</th><th>remediation</th></tr></thead><tbody>`);
  for (const f of r.findings) {
    H.push(`<tr class="${f.severity}"><td class="sev ${f.severity}">${f.severity}</td>${multi ? `<td>${esc(f.host)}</td>` : ''}<td>${esc(f.source)}${f.drift ? ` <em>(${f.drift})</em>` : ''}</td><td>${esc(f.title)}</td><td>${f.where ? `<code>${esc(f.where)}</code>` : ''}${f.time ? `<br><span class="muted">${esc(f.time)}</span>` : ''}</td><td><code>${esc(f.evidence.slice(0, 400))}</code></td><td>${esc(f.remediation ?? '')}</td></tr>`);
  }
  if (!r.findings.length) H.push(`<tr><td colspan="${multi ? 7 : 6}">None.</td></tr>`);
  H.push('</tbody></table>');
  H.push('<h2>Actions taken</h2><ul>');
  for (const a of r.actions) H.push(`<li>${esc(a.time)} ${multi ? `[${esc(a.host)}] ` : ''}${esc(a.text)}${a.argv ? ` <code>${esc(a.argv.join(' '))}</code>` : ''}</li>`);
  H.push('</ul>');
  if (r.evidence.length) {
    H.push('<h2>Evidence</h2><ul>');
    for (const e of r.evidence) H.push(`<li>${esc(e.host)}: <code>${esc(e.path)}</code>${e.sha256 ? ` sha256 <code>${esc(e.sha256)}</code>` : ''}</li>`);
    H.push('</ul>');
  }
  H.push('<h2>What to do next</h2><ol id="next">');
  for (const n of r.next) H.push(`<li><strong>${esc(n.title)}</strong>: ${esc(n.why)}<pre>${esc(n.commands.join('\n'))}</pre></li>`);
  if (!r.next.length) H.push('<li>Nothing urgent. Keep the case directory; run the hygiene playbook again to see drift.</li>');
  H.push('</ol><h2>Steps</h2>');
  for (const h of r.hosts) {
    H.push(`${multi ? `<h3>${esc(h.label)} (${esc(h.status)})</h3>` : ''}<table class="steps"><thead><tr><th>#</th><th>step</th><th>command</th><th>status</th><th>seconds</th><th>output</th></tr></thead><tbody>`);
    for (const s of h.steps) H.push(`<tr><td>${s.n}</td><td>${esc(s.name)}</td><td>${esc(s.command)}</td><td>${esc(s.status)}${s.message ? `: ${esc(s.message)}` : ''}</td><td>${s.seconds?.toFixed(1) ?? ''}</td><td>${s.output ? `<code>${esc(s.output)}</code>` : ''}</td></tr>`);
    H.push('</tbody></table>');
  }
  H.push('</body></html>');
  return H.join('\n') + '\n';
}
