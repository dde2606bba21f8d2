import type { Severity } from '../core/finding.js';

/** Colour only on a TTY and without NO_COLOR: text the user pipes stays plain. */
export const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

const CODES: Record<string, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  green: [32, 39],
};

export function paint(style: keyof typeof CODES, s: string): string {
  if (!useColor) return s;
  const [a, b] = CODES[style]!;
  return `\x1b[${a}m${s}\x1b[${b}m`;
}

export function severityLabel(s: Severity): string {
  const label = s.toUpperCase();
  switch (s) {
    case 'critical':
      return paint('magenta', paint('bold', label));
    case 'high':
      return paint('red', paint('bold', label));
    case 'medium':
      return paint('yellow', label);
    case 'low':
      return paint('blue', label);
    default:
      return paint('dim', label);
  }
}

/** A plain text table: columns padded to their widest cell. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length))) ?? [];
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const lines = all.map(fmt);
  if (header) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
