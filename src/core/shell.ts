/**
 * POSIX shell single quoting, the one copy: remote arguments over ssh, every command line ir shows
 * (plans, progress lines, reports, hints) so that a pasted line never runs `$(…)`.
 */
export function shQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const SHOWN_ESCAPED = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * argv as one line to show and copy, each argument quoted only where the shell would need it. An
 * argument holding a control character (a hostile file name) is written in bash's `$'…'` form with
 * the UTF-8 bytes of each such character as `\xNN`: the line shows no raw control byte, and pasted
 * into bash it still names the real file. (Never used to run anything: ir runs argv, and ssh takes
 * shQuote's POSIX form.)
 */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (SHOWN_ESCAPED.test(a) ? ansiC(a) : shQuote(a))).join(' ');
}

function ansiC(s: string): string {
  let out = "$'";
  for (const ch of s) {
    if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (SHOWN_ESCAPED.test(ch)) out += [...Buffer.from(ch, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
    else out += ch;
  }
  return `${out}'`;
}
