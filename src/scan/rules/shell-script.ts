import type { Severity } from '../../core/finding.js';
import { maxSeverity } from '../../core/finding.js';
import { classifyCommand, type CommandSignal } from './command-line.js';

/** Shell-specific idioms on top of classifyCommand: what a backdoored rc file or boot script looks like. */
const SHELL_RULES: (CommandSignal & { test: RegExp })[] = [
  {
    rule: 'credential-alias',
    severity: 'high',
    reason: 'aliases or wraps sudo/su/ssh/passwd (password capture)',
    test: /^\s*(alias\s+(sudo|su|ssh|passwd|scp)=|(sudo|su|ssh|passwd)\s*\(\)\s*\{|function\s+(sudo|su|ssh|passwd)\b)/,
  },
  { rule: 'debug-trap', severity: 'medium', reason: 'trap on DEBUG runs code before every command', test: /\btrap\b.*\bDEBUG\b/ },
  { rule: 'immutable', severity: 'medium', reason: 'makes files immutable (chattr +i), a way to resist clean-up', test: /\bchattr\s+[+-]?[a-z]*i\b/ },
  { rule: 'background-network', severity: 'medium', reason: 'starts a network tool in the background', test: /\b(nohup|setsid)\b.*\b(nc|ncat|socat|curl|wget|ssh\s+-[a-zA-Z]*R)\b/ },
];

export interface LineSignals {
  line: number;
  text: string;
  signals: CommandSignal[];
}

/** Logical lines of a shell script (backslash continuations joined), comments and blanks dropped. */
export function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const l = raw.replace(/\r$/, '');
    if (!buf) start = i + 1;
    if (l.endsWith('\\')) {
      buf += l.slice(0, -1) + ' ';
      return;
    }
    buf += l;
    const t = buf.trim();
    buf = '';
    if (t && !t.startsWith('#')) out.push({ line: start, text: t });
  });
  if (buf.trim()) out.push({ line: start, text: buf.trim() });
  return out;
}

export function classifyShellLine(line: string): CommandSignal[] {
  const out = classifyCommand(line);
  for (const r of SHELL_RULES) if (r.test.test(line)) out.push({ rule: r.rule, severity: r.severity, reason: r.reason });
  return out;
}

/** Lines that match a rule, in file order. */
export function suspiciousLines(text: string): LineSignals[] {
  return logicalLines(text)
    .map((l) => ({ ...l, signals: classifyShellLine(l.text) }))
    .filter((l) => l.signals.length > 0);
}

export function worst(lines: { signals: CommandSignal[] }[], base: Severity): Severity {
  let s = base;
  for (const l of lines) for (const sig of l.signals) s = maxSeverity(s, sig.severity);
  return s;
}

export function rulesOf(lines: { signals: CommandSignal[] }[]): string[] {
  return [...new Set(lines.flatMap((l) => l.signals.map((s) => s.rule)))];
}
