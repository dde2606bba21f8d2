/**
 * The one escaping function every renderer uses (terminal, Markdown, HTML, progress lines): untrusted
 * text from a host (file names, log lines, process names) is shown with every control character
 * visible and none dropped, so `ESC[2J` in a cron.d file name prints as `\x1b[2J` and the name is never
 * shown as a different file. C0, DEL and C1 controls (U+0080–U+009F, where U+009B is a CSI on some
 * terminals) become `\xNN`; the bidirectional overrides and isolates ("Trojan Source") and the Unicode
 * line and paragraph separators become `\uNNNN`. Newlines and tabs are kept only with `multiline`.
 *
 * Detectors and parsers store raw values; escaping happens once, here, at rendering.
 */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const CONTROL_ONE_LINE = /[\x00-\x1f\x7f-\x9f]/g;
const FORMAT = /[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const hex2 = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
const hex4 = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function escapeControls(text: string, opts: { multiline?: boolean; max?: number } = {}): string {
  let s = String(text);
  s = opts.multiline
    ? s.replace(CONTROL, hex2)
    : s.replace(CONTROL_ONE_LINE, (c) => (c === '\n' ? '\\n' : c === '\t' ? ' ' : hex2(c)));
  s = s.replace(FORMAT, hex4);
  if (opts.max && s.length > opts.max) s = s.slice(0, opts.max - 1) + '…';
  return s;
}

/** True when `text` holds a character escapeControls would show escaped (tests, and a hostile-name note). */
export function hasControls(text: string): boolean {
  return /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(text);
}

/** Bounds a raw value kept in a finding (a 1 MB log line is evidence, not a title): never escapes. */
export function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/**
 * JSON for --json, reports and baselines: raw values, JSON-escaped. JSON.stringify leaves DEL, the C1
 * controls, the bidi controls and U+2028/2029 as they are; a terminal that `cat`s the file would act on
 * U+009B, so they are written as `\u009b` (still the same string to any JSON reader).
 */
export function toJson(value: unknown, indent: number | undefined = 2): string {
  return JSON.stringify(value, null, indent).replace(/[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, hex4);
}
