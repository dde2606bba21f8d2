import type { Severity } from '../../core/finding.js';
import { maxSeverity } from '../../core/finding.js';
import { classifyCommand, type CommandSignal } from './command-line.js';
import { MAX_LINE } from '../detectors/util.js';

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

/**
 * Logical lines of a shell script fed one physical line at a time (backslash continuations joined,
 * comments and blanks dropped): a streamed file never has to be held. A joined line longer than `max`
 * keeps its head and tail.
 */
export class LogicalLines {
  private buf = '';
  private start = 0;
  constructor(
    private readonly emit: (l: { line: number; text: string }) => void,
    private readonly max = MAX_LINE,
  ) {}

  push(raw: string, n: number): void {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!this.buf) this.start = n;
    if (l.endsWith('\\')) {
      this.append(l.slice(0, -1) + ' ');
      return;
    }
    this.append(l);
    this.flush();
  }

  end(): void {
    this.flush();
  }

  private append(s: string): void {
    this.buf += s;
    if (this.buf.length > this.max) {
      const half = Math.floor(this.max / 2);
      this.buf = `${this.buf.slice(0, half)} … ${this.buf.slice(-half)}`;
    }
  }

  private flush(): void {
    const t = this.buf.trim();
    this.buf = '';
    if (t && !t.startsWith('#')) this.emit({ line: this.start, text: t });
  }
}

/** Logical lines of a shell script (backslash continuations joined), comments and blanks dropped. */
export function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const ll = new LogicalLines((l) => out.push(l));
  text.split('\n').forEach((raw, i) => ll.push(raw, i + 1));
  ll.end();
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
