/** ANSI escape sequences (CSI, OSC, single-character escapes) as a hostile log line or process may carry. */
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g;

/**
 * Makes untrusted text safe for a terminal: escape sequences removed, other control characters
 * shown as `\xNN`, newlines and tabs kept only when `multiline`.
 */
export function forTerminal(text: string, opts: { multiline?: boolean; max?: number } = {}): string {
  let s = text.replace(ANSI, '').replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (!opts.multiline) s = s.replace(/\n/g, '\\n').replace(/\t/g, ' ');
  if (opts.max && s.length > opts.max) s = s.slice(0, opts.max - 1) + '…';
  return s;
}

/** Decodes bytes as UTF-8, invalid sequences as U+FFFD (never throws). */
export function decodeUtf8(buf: Buffer): string {
  return buf.toString('utf8');
}
