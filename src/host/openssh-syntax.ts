/** The syntax ssh_config and sshd_config share: `Keyword value` or `Keyword=value`, `#` comments. */
export interface KeywordLine {
  line: number;
  /** lowercased: OpenSSH keywords are case-insensitive */
  key: string;
  value: string;
}

export function keywordLines(text: string): KeywordLine[] {
  const out: KeywordLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (m) out.push({ line: i + 1, key: m[1]!.toLowerCase(), value: m[2]!.trim() });
  });
  return out;
}

/** OpenSSH patterns: `*` and `?` only; everything else literal (`[host]:port` included). */
export function globRegExp(pattern: string, flags = ''): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', flags);
}
