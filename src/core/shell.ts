/**
 * POSIX shell single quoting, the one copy: remote arguments over ssh, every command line ir shows
 * (plans, progress lines, reports, hints) so that a pasted line never runs `$(…)`.
 */
export function shQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** argv as one shell-safe line, each argument quoted only where the shell would need it. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
