/**
 * Secrets stay out of evidence unless --include-secrets: values of variables whose name says
 * secret, and every value read from a Compose project's .env, wherever they appear again
 * (docker inspect's Config.Env, `compose config`, /proc/PID/environ). Each redaction is counted
 * and the count recorded with the entry.
 */
const SECRET_NAME = /(pass(wd|word)?|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|auth|dsn|database_url|conn(ection)?_?str|cookie|salt|session|_key$|^key$)/i;

export const REDACTED = '[REDACTED by ir]';

export class Redactor {
  private readonly values = new Set<string>();

  constructor(readonly enabled: boolean) {}

  isSecretName(name: string): boolean {
    return SECRET_NAME.test(name);
  }

  /** Remembers a value to redact wherever it appears (short values would redact noise). */
  learn(value: string): void {
    const v = value.trim();
    if (v.length >= 6) this.values.add(v);
  }

  /** Learns the values of a KEY=VALUE list (a .env file) and returns the names only. */
  learnEnvFile(text: string): string[] {
    const names: string[] = [];
    for (const line of text.split('\n')) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      names.push(m[1] ?? '');
      this.learn((m[2] ?? '').replace(/^(['"])(.*)\1\s*$/, '$2'));
    }
    return names;
  }

  /** KEY=VALUE entries (Config.Env, environ): secret-named values replaced and learned. */
  envList(entries: string[]): { entries: string[]; count: number } {
    if (!this.enabled) return { entries, count: 0 };
    let count = 0;
    const out = entries.map((e) => {
      const eq = e.indexOf('=');
      if (eq <= 0) return e;
      const value = e.slice(eq + 1);
      if (this.isSecretName(e.slice(0, eq)) || this.values.has(value.trim())) {
        this.learn(value);
        if (value === '') return e;
        count++;
        return `${e.slice(0, eq + 1)}${REDACTED}`;
      }
      return e;
    });
    return { entries: out, count };
  }

  /** Replaces every learned value in free text. */
  text(s: string): { text: string; count: number } {
    if (!this.enabled || this.values.size === 0) return { text: s, count: 0 };
    let count = 0;
    let out = s;
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) {
      const parts = out.split(v);
      if (parts.length > 1) {
        count += parts.length - 1;
        out = parts.join(REDACTED);
      }
    }
    return { text: out, count };
  }

  /** `key: value` lines of YAML (compose config) whose key says secret. */
  yamlText(s: string): { text: string; count: number } {
    if (!this.enabled) return { text: s, count: 0 };
    let count = 0;
    const lines = s.split('\n').map((line) => {
      const m = /^(\s*-?\s*)([A-Za-z_][A-Za-z0-9_.-]*)(\s*[:=]\s*)(.+)$/.exec(line);
      if (m && this.isSecretName(m[2] ?? '') && !/^[|>]?\s*$/.test(m[4] ?? '')) {
        this.learn((m[4] ?? '').replace(/^(['"])(.*)\1$/, '$2'));
        count++;
        return `${m[1]}${m[2]}${m[3]}${REDACTED}`;
      }
      return line;
    });
    const rest = this.text(lines.join('\n'));
    return { text: rest.text, count: count + rest.count };
  }
}
