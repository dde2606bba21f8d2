import { escapeControls } from '../core/escape.js';
import { severityRank, type Severity } from '../core/finding.js';
import { LANE_TITLES, LANES, type CaseReport, type Lane, type Marker } from './model.js';

/** Text for SVG and HTML: control bytes made visible (core/escape.ts), then HTML-escaped. */
export function esc(s: string, opts: { multiline?: boolean } = {}): string {
  return escapeControls(s, opts).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PALETTE = ['#d62728', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#1f77b4', '#2ca02c'];
const SEV_COLOR: Record<Severity, string> = { critical: '#7b1fa2', high: '#d32f2f', medium: '#f57c00', low: '#1976d2', info: '#757575' };
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NICE = [MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY];
const W = 960;
const LEFT = 168;
const RIGHT = 24;
const PLOT = W - LEFT - RIGHT;
const BARS_TOP = 44;
const BARS_H = 110;
const LANE_H = 26;
/** marks closer than this (px) are one mark with a count */
const GROUP_PX = 8;
const MAX_TITLE_LINES = 15;

const LANE_HELP: Record<Lane, string> = {
  logins: 'successful logins (red: after failed attempts from the same address)',
  persistence: 'when persistence files at medium or above were last changed (their mtime), coloured by severity',
  privilege: 'sudo, su and account changes (useradd, usermod, passwd…) from the auth log',
  actions: 'what the responder and fail2ban did: evidence collected, project isolated (dashed line), addresses banned',
};

const nice = (ms: number): number => NICE.find((n) => n >= ms) ?? NICE.at(-1)!;
const iso = (t: number): string => new Date(t).toISOString();
const minute = (t: number): string => iso(t).slice(0, 16).replace('T', ' ');

function tickLabel(t: number, step: number): string {
  if (step >= DAY) return iso(t).slice(0, 10);
  if (step >= HOUR) return iso(t).slice(5, 16).replace('T', ' ');
  return iso(t).slice(11, 16);
}

/** Series colours follow the order of r.chart.failures, the same in both panels. */
function seriesOf(r: CaseReport): { label: string; color: string; points: [number, number][] }[] {
  const multi = r.hosts.length > 1;
  return r.chart.failures.map((s, i) => ({ label: multi ? `${s.host} ${s.ip}` : s.ip, color: PALETTE[i % PALETTE.length]!, points: s.points.map(([t, n]) => [Date.parse(t), n] as [number, number]).filter(([t]) => Number.isFinite(t)) }));
}

function titleList(items: string[]): string {
  const shown = items.slice(0, MAX_TITLE_LINES);
  return esc([...shown, ...(items.length > shown.length ? [`… and ${items.length - shown.length} more`] : [])].join('\n'), { multiline: true });
}

function markerShape(lane: Lane, x: number, y: number, ms: Marker[]): string {
  const worst = ms.reduce<Severity>((w, m) => (m.severity && severityRank(m.severity) > severityRank(w) ? m.severity : w), 'info');
  switch (lane) {
    case 'logins': {
      const bad = ms.some((m) => m.text.includes(' after '));
      return `<path d="M${x.toFixed(1)},${y - 7} l6,12 h-12 z" fill="${bad ? '#c62828' : '#2e7d32'}"/>`;
    }
    case 'persistence':
      return `<path d="M${x.toFixed(1)},${y - 7} l7,7 l-7,7 l-7,-7 z" fill="${SEV_COLOR[worst]}"/>`;
    case 'privilege':
      return `<rect x="${(x - 5).toFixed(1)}" y="${y - 5}" width="10" height="10" fill="#ef6c00"/>`;
    case 'actions':
      return `<path d="M${x.toFixed(1)},${y - 8} v16 M${x.toFixed(1)},${y - 8} h9 l-3,4 l3,4 h-9" stroke="#6a1b9a" stroke-width="2" fill="#ce93d8"/>`;
  }
}

interface PanelOptions {
  id: string;
  heading: string;
  from: number;
  to: number;
  /** the focus panel: marks outside [from, to] are counted at the edges instead of drawn */
  edges: boolean;
  legend: boolean;
}

function panel(r: CaseReport, o: PanelOptions): string {
  const { from, to } = o;
  const x = (t: number): number => LEFT + ((t - from) / (to - from)) * PLOT;
  const inside = (t: number): boolean => t >= from && t <= to;
  const lanesTop = BARS_TOP + BARS_H + 26;
  const axisY = lanesTop + LANES.length * LANE_H;
  const H = axisY + 40;
  const out: string[] = [];
  out.push(`<svg id="${o.id}" class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.heading)}" data-from="${iso(from)}" data-to="${iso(to)}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${esc(o.heading)}</title>`);
  out.push(`<text x="4" y="14" font-weight="bold" font-size="12">${esc(o.heading)}</text>`);

  // failed logins, binned to the panel's scale and stacked by source address
  const series = seriesOf(r);
  const bin = nice(Math.max(r.chart.resolution, (to - from) / (PLOT / 6)));
  const bins = new Map<number, { color: string; label: string; n: number }[]>();
  let outside = 0;
  for (const s of series) {
    const per = new Map<number, number>();
    for (const [t, n] of s.points) {
      if (!inside(t)) {
        outside += n;
        continue;
      }
      const b = Math.floor(t / bin) * bin;
      per.set(b, (per.get(b) ?? 0) + n);
    }
    for (const [b, n] of per) bins.set(b, [...(bins.get(b) ?? []), { color: s.color, label: s.label, n }]);
  }
  const maxStack = Math.max(1, ...[...bins.values()].map((v) => v.reduce((a, c) => a + c.n, 0)));
  const barW = Math.max(2, (bin / (to - from)) * PLOT - 1);
  out.push(`<text x="${LEFT - 8}" y="${BARS_TOP + 4}" text-anchor="end">${maxStack}</text><text x="${LEFT - 8}" y="${BARS_TOP + BARS_H}" text-anchor="end">0</text>`);
  out.push(`<text x="${LEFT - 8}" y="${BARS_TOP + BARS_H / 2 + 4}" text-anchor="end">failed logins</text>`);
  out.push(`<line x1="${LEFT}" y1="${BARS_TOP + BARS_H}" x2="${W - RIGHT}" y2="${BARS_TOP + BARS_H}" stroke="#444"/><line x1="${LEFT}" y1="${BARS_TOP}" x2="${LEFT}" y2="${BARS_TOP + BARS_H}" stroke="#444"/>`);
  out.push(`<g class="failures" data-lane="failures">`);
  for (const [b, stack] of [...bins].sort((p, q) => p[0] - q[0])) {
    let y = BARS_TOP + BARS_H;
    const bx = Math.max(LEFT, x(b));
    for (const s of stack) {
      const bh = (s.n / maxStack) * BARS_H;
      y -= bh;
      const span = bin >= DAY ? iso(b).slice(0, 10) : `${minute(b)}–${minute(b + bin).slice(11)}`;
      out.push(`<rect x="${bx.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.min(barW, W - RIGHT - bx).toFixed(1)}" height="${Math.max(bh, 0.5).toFixed(1)}" fill="${s.color}"><title>${esc(`${span} UTC: ${s.n} failed login${s.n === 1 ? '' : 's'} from ${s.label}`)}</title></rect>`);
    }
  }
  out.push('</g>');
  if (o.edges && outside) out.push(`<g class="edge"><text x="${LEFT + 4}" y="${BARS_TOP + 10}" fill="#666">${outside} failed logins outside this window</text><title>${esc(`${outside} failed logins before or after this window: see the whole case above`)}</title></g>`);
  if (o.legend && series.length) {
    let lx = LEFT + 250;
    for (const s of series.slice(0, 6)) {
      const label = escapeControls(s.label, { max: 26 });
      out.push(`<rect x="${lx}" y="${BARS_TOP - 20}" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="${BARS_TOP - 11}">${esc(label)}</text>`);
      lx += 14 + label.length * 6.2 + 12;
    }
  }

  // one lane per kind of event; marks at the same place are one mark with a count
  LANES.forEach((lane, i) => {
    const y = lanesTop + i * LANE_H + LANE_H / 2;
    out.push(`<g class="lane ${lane}" data-lane="${lane}">`);
    out.push(`<text x="${LEFT - 8}" y="${y + 4}" text-anchor="end">${esc(LANE_TITLES[lane])}<title>${esc(LANE_HELP[lane])}</title></text><line x1="${LEFT}" y1="${y}" x2="${W - RIGHT}" y2="${y}" stroke="#ddd"/>`);
    const marks = r.chart.lanes[lane].map((m) => ({ m, t: Date.parse(m.time) })).filter((p) => Number.isFinite(p.t));
    const before = marks.filter((p) => p.t < from);
    const after = marks.filter((p) => p.t > to);
    const groups = new Map<number, { t: number; ms: Marker[] }>();
    for (const p of marks.filter((q) => inside(q.t))) {
      const k = Math.round(x(p.t) / GROUP_PX);
      const g = groups.get(k) ?? { t: p.t, ms: [] };
      g.ms.push(p.m);
      groups.set(k, g);
    }
    for (const g of groups.values()) {
      const gx = x(g.t);
      const items = g.ms.map((m) => `${m.time.slice(0, 19).replace('T', ' ')} ${r.hosts.length > 1 ? `[${m.host}] ` : ''}${m.text}`);
      if (lane === 'actions' && g.ms.some((m) => m.text.startsWith('project '))) out.push(`<line class="isolation" x1="${gx.toFixed(1)}" y1="${BARS_TOP}" x2="${gx.toFixed(1)}" y2="${y}" stroke="#6a1b9a" stroke-width="1.5" stroke-dasharray="5,3"/>`);
      out.push(`<g class="mark">${markerShape(lane, gx, y, g.ms)}${g.ms.length > 1 ? `<text class="count" x="${(gx + 8).toFixed(1)}" y="${y - 6}" font-size="10">×${g.ms.length}</text>` : ''}<title>${titleList(items)}</title></g>`);
    }
    for (const [side, ps] of [['earlier', before], ['later', after]] as const) {
      if (!ps.length || !o.edges) continue;
      const ex = side === 'earlier' ? LEFT + 4 : W - RIGHT - 4;
      const items = ps.map((p) => `${p.m.time.slice(0, 19).replace('T', ' ')} ${p.m.text}`);
      out.push(`<g class="edge ${side}"><text x="${ex}" y="${y - 5}" text-anchor="${side === 'earlier' ? 'start' : 'end'}" fill="#555">${side === 'earlier' ? `◀ ${ps.length} earlier` : `${ps.length} later ▶`}</text><title>${titleList(items)}</title></g>`);
    }
    out.push('</g>');
  });

  // the time axis, UTC
  const step = nice((to - from) / 6);
  out.push(`<line x1="${LEFT}" y1="${axisY}" x2="${W - RIGHT}" y2="${axisY}" stroke="#444"/>`);
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const tx = x(t);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${axisY}" x2="${tx.toFixed(1)}" y2="${axisY + 4}" stroke="#444"/><text x="${tx.toFixed(1)}" y="${axisY + 16}" text-anchor="middle">${tickLabel(t, step)}</text>`);
  }
  out.push(`<text x="${LEFT - 8}" y="${axisY + 16}" text-anchor="end" fill="#666">UTC ${step < DAY ? iso(from).slice(0, 10) : ''}</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/**
 * The case's timeline as inline SVG (no script, no font or file fetched): the whole case, then a focus
 * panel on the attack's window (report/focus.ts) with what lies outside counted at its edges. Each lane
 * keeps its `<title>` tooltips; marks of a lane that fall at the same place are grouped with a count.
 */
export function timelineSvgs(r: CaseReport): string {
  const span = r.chart.span;
  if (!span) return '<p class="muted" id="no-timeline">No dated events: auth-review, persistence-scan and isolate left nothing with a time.</p>';
  let from = Date.parse(span.from);
  let to = Date.parse(span.to);
  if (to - from < 10 * MIN) {
    from -= 5 * MIN;
    to += 5 * MIN;
  }
  const pad = (to - from) * 0.02;
  const out = [panel(r, { id: 'timeline', heading: `Whole case: ${minute(from)} to ${minute(to)} UTC`, from: from - pad, to: to + pad, edges: false, legend: true })];
  const f = r.chart.focus;
  if (f) {
    const ff = Date.parse(f.from);
    const ft = Date.parse(f.to);
    const edges = f.earlier || f.later ? `; ${[f.earlier ? `${f.earlier} earlier` : '', f.later ? `${f.later} later` : ''].filter(Boolean).join(' and ')} at the edges` : '';
    out.push(panel(r, { id: 'focus', heading: `Focus, the densest window: ${minute(ff)} to ${ft - ff < DAY ? minute(ft).slice(11) : minute(ft)} UTC${edges}`, from: ff, to: ft, edges: true, legend: false }));
  }
  return out.join('\n');
}
