import type { CaseReport } from './model.js';
import type { Severity } from '../core/finding.js';

/** Text for SVG and HTML: every evidence string is untrusted. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PALETTE = ['#d62728', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#1f77b4', '#2ca02c'];
const SEV_COLOR: Record<Severity, string> = { critical: '#7b1fa2', high: '#d32f2f', medium: '#f57c00', low: '#1976d2', info: '#757575' };
const HOUR = 3_600_000;
const W = 960;
const LEFT = 70;
const RIGHT = 20;
const BARS_TOP = 40;
const BARS_H = 170;
const LANE_H = 28;

function tickLabel(t: number): string {
  return new Date(t).toISOString().slice(5, 16).replace('T', ' ');
}

/**
 * The case's timeline as one inline SVG (no script, no font or file fetched): failed logins per hour
 * stacked by source address, successful logins, mtimes of persistence findings, and the isolation.
 */
export function timelineSvg(r: CaseReport): string {
  const c = r.chart;
  const ms = (s: string): number => Date.parse(s);
  const core = [...c.failures.flatMap((s) => s.points.map((p) => ms(p[0]))), ...c.logins.map((l) => ms(l.time)), ...c.isolation.map((i) => ms(i.time))].filter(Number.isFinite);
  const persist = c.persistence.map((p) => ({ ...p, t: ms(p.time) })).filter((p) => Number.isFinite(p.t));
  let t0 = Math.min(...core, ...persist.map((p) => p.t));
  let t1 = Math.max(...core, ...persist.map((p) => p.t));
  // persistence written months before the attack would squash the hours that matter: shown at the edge
  if (core.length && persist.length && Math.min(...core) - t0 > 30 * 24 * HOUR) t0 = Math.min(...core) - 6 * HOUR;
  if (!Number.isFinite(t0)) {
    t0 = ms(r.startedAt) - 12 * HOUR;
    t1 = ms(r.startedAt);
  }
  t0 = Math.floor(t0 / HOUR) * HOUR;
  t1 = Math.max(t0 + HOUR, Math.ceil((t1 + 1) / HOUR) * HOUR);
  const x = (t: number): number => LEFT + ((Math.max(t0, Math.min(t1, t)) - t0) / (t1 - t0)) * (W - LEFT - RIGHT);
  const lanesTop = BARS_TOP + BARS_H + 30;
  const H = lanesTop + 3 * LANE_H + 40;
  const out: string[] = [];
  out.push(`<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Timeline of case ${esc(r.caseId)}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>Timeline of case ${esc(r.caseId)} (UTC)</title>`);

  // failed logins per hour, stacked by source address
  const series = c.failures.map((s, i) => ({ ...s, color: PALETTE[i % PALETTE.length]!, label: r.hosts.length > 1 ? `${s.host} ${s.ip}` : s.ip }));
  const hours = new Map<number, { color: string; label: string; n: number }[]>();
  for (const s of series) for (const [h, n] of s.points) {
    const k = ms(h);
    if (!Number.isFinite(k)) continue;
    hours.set(k, [...(hours.get(k) ?? []), { color: s.color, label: s.label, n }]);
  }
  const maxStack = Math.max(1, ...[...hours.values()].map((v) => v.reduce((a, b) => a + b.n, 0)));
  const barW = Math.max(2, ((W - LEFT - RIGHT) * HOUR) / (t1 - t0) - 2);
  out.push(`<text x="${LEFT}" y="${BARS_TOP - 22}" font-weight="bold">Failed SSH logins per hour (top source addresses)</text>`);
  out.push(`<line x1="${LEFT}" y1="${BARS_TOP + BARS_H}" x2="${W - RIGHT}" y2="${BARS_TOP + BARS_H}" stroke="#444"/>`);
  out.push(`<line x1="${LEFT}" y1="${BARS_TOP}" x2="${LEFT}" y2="${BARS_TOP + BARS_H}" stroke="#444"/>`);
  out.push(`<text x="${LEFT - 6}" y="${BARS_TOP + 4}" text-anchor="end">${maxStack}</text><text x="${LEFT - 6}" y="${BARS_TOP + BARS_H}" text-anchor="end">0</text>`);
  out.push('<g class="failures">');
  for (const [h, stack] of [...hours].sort((a, b) => a[0] - b[0])) {
    let y = BARS_TOP + BARS_H;
    for (const s of stack) {
      const bh = (s.n / maxStack) * BARS_H;
      y -= bh;
      out.push(`<rect x="${x(h).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${bh.toFixed(1)}" fill="${s.color}"><title>${esc(`${tickLabel(h)} UTC: ${s.n} failed logins from ${s.label}`)}</title></rect>`);
    }
  }
  out.push('</g>');
  // legend
  let lx = LEFT + 330;
  for (const s of series.slice(0, 8)) {
    out.push(`<rect x="${lx}" y="${BARS_TOP - 31}" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="${BARS_TOP - 22}">${esc(s.label.slice(0, 28))}</text>`);
    lx += 14 + Math.min(28, s.label.length) * 6.2 + 12;
  }

  // lanes: logins, persistence, isolation
  const lane = (i: number, name: string): number => {
    const y = lanesTop + i * LANE_H;
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end">${name}</text><line x1="${LEFT}" y1="${y}" x2="${W - RIGHT}" y2="${y}" stroke="#ddd"/>`);
    return y;
  };
  const yl = lane(0, 'logins');
  out.push('<g class="logins">');
  for (const l of c.logins) {
    const t = ms(l.time);
    if (!Number.isFinite(t)) continue;
    out.push(`<path d="M${x(t).toFixed(1)},${yl - 7} l6,12 h-12 z" fill="#2e7d32"><title>${esc(`${l.time} login: ${l.host} ${l.text}`)}</title></path>`);
  }
  out.push('</g>');
  const yp = lane(1, 'persistence');
  out.push('<g class="persistence">');
  for (const p of persist) {
    const px = x(p.t);
    const early = p.t < t0 ? ' (earlier than the chart)' : '';
    out.push(`<path d="M${px.toFixed(1)},${yp - 7} l7,7 l-7,7 l-7,-7 z" fill="${SEV_COLOR[p.severity]}"><title>${esc(`${p.time} mtime${early}: ${p.host} ${p.severity} ${p.text}`)}</title></path>`);
  }
  out.push('</g>');
  const yi = lane(2, 'isolation');
  out.push('<g class="isolation">');
  for (const i of c.isolation) {
    const t = ms(i.time);
    if (!Number.isFinite(t)) continue;
    out.push(`<line class="isolation" x1="${x(t).toFixed(1)}" y1="${BARS_TOP}" x2="${x(t).toFixed(1)}" y2="${yi + 8}" stroke="#6a1b9a" stroke-width="2" stroke-dasharray="5,3"><title>${esc(`${i.time} ${i.host}: ${i.text}`)}</title></line>`);
    out.push(`<text x="${(x(t) + 4).toFixed(1)}" y="${yi + 4}" fill="#6a1b9a">isolated ${esc(i.host)}</text>`);
  }
  out.push('</g>');

  // time axis (UTC)
  const axisY = yi + 22;
  out.push(`<line x1="${LEFT}" y1="${axisY}" x2="${W - RIGHT}" y2="${axisY}" stroke="#444"/>`);
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + ((t1 - t0) * i) / ticks;
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${axisY}" x2="${x(t).toFixed(1)}" y2="${axisY + 4}" stroke="#444"/><text x="${x(t).toFixed(1)}" y="${axisY + 16}" text-anchor="${i === 0 ? 'start' : i === ticks ? 'end' : 'middle'}">${tickLabel(t)}</text>`);
  }
  out.push(`<text x="${W - RIGHT}" y="${axisY + 30}" text-anchor="end" fill="#666">UTC</text>`);
  out.push('</svg>');
  return out.join('\n');
}
