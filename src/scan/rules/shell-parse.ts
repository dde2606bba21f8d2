/**
 * A small POSIX-shell reader for judging command lines (cron, ExecStart, forced commands, scripts):
 * words after quote removal (`c''url`, `c\url`, `$'\x63url'` are all `curl`), pipelines, lists,
 * redirections, and the bodies of `$(…)`, backticks and `<(…)`/`>(…)`, parsed in turn.
 *
 * Why our own and not `shell-quote`: shell-quote splits `$(…)` and backticks into loose operator
 * tokens (no nesting, no body to judge), drops `$'…'` escapes and treats `${IFS}` as a variable to
 * look up; here the bodies are what matters. The reader never fails: hostile or unbalanced input
 * gives its best reading, in one linear pass, with nesting bounded.
 */

export interface Substitution {
  kind: '$(' | '`' | '<(' | '>(';
  body: ShellList;
  /** the body as written (inside a word's value it appears as `$(raw)`, `` `raw` `` or `<(raw)`) */
  raw: string;
}

export interface Word {
  /** the word after quote removal; a substitution appears as `$(…)` with its body's text */
  value: string;
  /** substitutions inside the word, in order */
  subs: Substitution[];
  /** the whole word is one substitution (`$(…)`, `` `…` ``, `<(…)`) */
  onlySub: boolean;
  /** some part of the word was quoted or escaped */
  quoted: boolean;
}

export interface Redirect {
  op: string;
  target: Word;
}

export interface SimpleCommand {
  /** NAME=value words before the command */
  assigns: Word[];
  words: Word[];
  redirects: Redirect[];
}

/** One stage of a pipeline: a simple command, or every command of a `( … )` / `{ …; }` group. */
export type Stage = SimpleCommand[];

export interface Pipeline {
  stages: Stage[];
  /** `&` after it */
  background: boolean;
}

export interface ShellList {
  pipelines: Pipeline[];
}

const MAX_DEPTH = 12;
/** Character classes by code (a table lookup instead of a regex test per character). */
const BLANK_CH = new Set([' ', '\t', '\r']);
const META_CH = new Set([' ', '\t', '\r', '\n', '|', '&', ';', '<', '>', '(', ')']);
const BLANK = { test: (c: string) => BLANK_CH.has(c) };
const META = { test: (c: string) => META_CH.has(c) };

/** Decodes the escapes of `$'…'` (bash ANSI-C quoting) and printf formats (`\\NNN` octal, `\\xHH`). */
export function decodeEscapes(s: string): string {
  return s.replace(/\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|c.|.)/gs, (_m, e: string) => {
    const c = e[0]!;
    if (c === 'x' || c === 'u' || c === 'U') return String.fromCodePoint(Math.min(parseInt(e.slice(1), 16), 0x10ffff));
    if (/[0-7]/.test(c)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    if (c === 'c') return String.fromCharCode(e.charCodeAt(1) & 0x1f);
    return ({ n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v' } as Record<string, string>)[c] ?? c;
  });
}

class Reader {
  i = 0;
  /** variables assigned earlier on the line (`a=cu; b=rl; $a$b …`) */
  readonly vars = new Map<string, string>([['IFS', ' ']]);
  constructor(
    readonly s: string,
    readonly depth: number,
  ) {}

  /** Parses a list until the end, or the closing `)` / `` ` `` of the enclosing construct. */
  list(close?: string): ShellList {
    const pipelines: Pipeline[] = [];
    let stages: Stage[] = [];
    let cmd = this.fresh();
    const endCommand = () => {
      if (cmd.words.length || cmd.assigns.length || cmd.redirects.length) {
        if (cmd.words.length === 0) for (const a of cmd.assigns) this.assign(a.value);
        stages.push([cmd]);
      }
      cmd = this.fresh();
    };
    const endPipeline = (background = false) => {
      endCommand();
      if (stages.length) pipelines.push({ stages, background });
      stages = [];
    };
    const s = this.s;
    while (this.i < s.length) {
      const ch = s[this.i]!;
      if (close && ch === close) break;
      if (BLANK.test(ch)) {
        this.i++;
        continue;
      }
      if (ch === '#' && (this.i === 0 || META.test(s[this.i - 1]!))) {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
        continue;
      }
      if (ch === '\n' || ch === ';') {
        this.i += s.startsWith(';;', this.i) ? 2 : 1;
        endPipeline();
        continue;
      }
      if (s.startsWith('&&', this.i) || s.startsWith('||', this.i)) {
        this.i += 2;
        endPipeline();
        continue;
      }
      if (s.startsWith('|&', this.i) || ch === '|') {
        this.i += ch === '|' && s[this.i + 1] === '&' ? 2 : 1;
        endCommand();
        continue;
      }
      if (ch === '&' && s[this.i + 1] !== '>') {
        this.i++;
        endPipeline(true);
        continue;
      }
      const redir = (ch >= '0' && ch <= '9') || ch === '{' || ch === '<' || ch === '>' || ch === '&' ? /^(\d*|\{\w+\})(&>>|&>|>>|>\||>&|<<<|<<-|<<|<&|<>|>|<)(?!\()/.exec(s.slice(this.i, this.i + 16)) : null;
      if (redir) {
        this.i += redir[0].length;
        while (this.i < s.length && BLANK.test(s[this.i]!)) this.i++;
        const target = this.word(close);
        cmd.redirects.push({ op: redir[2]!, target });
        continue;
      }
      if (ch === '(' || (ch === '{' && cmd.words.length === 0 && /[\s]/.test(s[this.i + 1] ?? ''))) {
        // a subshell or group: its commands form one stage of the current pipeline
        this.i++;
        const inner = this.depth < MAX_DEPTH ? new Reader(s, this.depth + 1) : null;
        let group: Stage = [];
        if (inner) {
          inner.i = this.i;
          for (const [k, v] of this.vars) inner.vars.set(k, v);
          const l = inner.list(ch === '(' ? ')' : '}');
          this.i = inner.i + 1;
          group = l.pipelines.flatMap((p) => p.stages.flat());
        } else this.i = s.length;
        endCommand();
        stages.push(group);
        continue;
      }
      if (ch === ')' || (ch === '}' && cmd.words.length === 0)) {
        // an unbalanced closer: skip it rather than stop reading
        this.i++;
        continue;
      }
      const w = this.word(close);
      if (w.value === '' && !w.quoted && w.subs.length === 0) {
        this.i++;
        continue;
      }
      if (cmd.words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(w.value) && !w.onlySub) cmd.assigns.push(w);
      else this.splitInto(cmd.words, w);
    }
    endPipeline();
    return { pipelines };
  }

  private fresh(): SimpleCommand {
    return { assigns: [], words: [], redirects: [] };
  }

  private assign(a: string): void {
    const eq = a.indexOf('=');
    const name = a.slice(0, eq).replace(/\+$/, '');
    const val = a.slice(eq + 1);
    this.vars.set(name, a[eq - 1] === '+' ? (this.vars.get(name) ?? '') + val : val);
  }

  /** `${IFS}` splits a word where a space would (`curl${IFS}http://…`): marked with \u0000 by word(). */
  private splitInto(words: Word[], w: Word): void {
    if (!w.value.includes('\u0000')) {
      words.push(w);
      return;
    }
    for (const part of w.value.split('\u0000')) if (part) words.push({ value: part, subs: w.subs, onlySub: false, quoted: w.quoted });
  }

  /** Reads one word: quotes removed, escapes applied, substitutions parsed. */
  word(close?: string): Word {
    const s = this.s;
    let value = '';
    const subs: Substitution[] = [];
    let quoted = false;
    let parts = 0;
    let subParts = 0;
    const start = this.i;
    while (this.i < s.length) {
      const ch = s[this.i]!;
      if (close && ch === close) break;
      if (META.test(ch)) {
        // <( and >( start a process substitution where a word may start
        if ((ch === '<' || ch === '>') && s[this.i + 1] === '(' && this.i === start) {
          this.i += 2;
          const body = this.nested(')');
          subs.push({ kind: ch === '<' ? '<(' : '>(', body: body.list, raw: body.raw });
          value += `${ch}(${body.raw})`;
          parts++;
          subParts++;
          continue;
        }
        break;
      }
      parts++;
      if (ch === '\\') {
        quoted = true;
        if (s[this.i + 1] === '\n') this.i += 2;
        else {
          value += s[this.i + 1] ?? '';
          this.i += 2;
        }
        continue;
      }
      if (ch === "'") {
        quoted = true;
        const end = s.indexOf("'", this.i + 1);
        value += s.slice(this.i + 1, end < 0 ? s.length : end);
        this.i = end < 0 ? s.length : end + 1;
        continue;
      }
      if (ch === '$' && s[this.i + 1] === "'") {
        quoted = true;
        let j = this.i + 2;
        while (j < s.length && s[j] !== "'") j += s[j] === '\\' ? 2 : 1;
        value += decodeEscapes(s.slice(this.i + 2, Math.min(j, s.length)));
        this.i = Math.min(j + 1, s.length);
        continue;
      }
      if (ch === '"') {
        quoted = true;
        this.i++;
        while (this.i < s.length && s[this.i] !== '"') {
          const c = s[this.i]!;
          if (c === '\\' && /[$`"\\\n]/.test(s[this.i + 1] ?? '')) {
            if (s[this.i + 1] !== '\n') value += s[this.i + 1];
            this.i += 2;
          } else if (c === '$' || c === '`') {
            const r = this.dollar(true);
            value += r.text;
            if (r.sub) subs.push(r.sub);
          } else {
            value += c;
            this.i++;
          }
        }
        this.i++;
        continue;
      }
      if (ch === '$' || ch === '`') {
        const r = this.dollar(false);
        value += r.text;
        if (r.sub) {
          subs.push(r.sub);
          subParts++;
        }
        continue;
      }
      value += ch;
      this.i++;
    }
    return { value, subs, onlySub: subParts === 1 && parts === 1, quoted };
  }

  /** `$(…)`, `` `…` ``, `$((…))`, `${…}`, `$NAME` at this.i. */
  private dollar(inQuotes: boolean): { text: string; sub?: Substitution } {
    const s = this.s;
    if (s[this.i] === '`') {
      let j = this.i + 1;
      let body = '';
      while (j < s.length && s[j] !== '`') {
        if (s[j] === '\\' && /[`$\\]/.test(s[j + 1] ?? '')) {
          body += s[j + 1];
          j += 2;
        } else body += s[j++];
      }
      this.i = Math.min(j + 1, s.length);
      const list = this.depth < MAX_DEPTH ? this.sub(body) : { pipelines: [] };
      return { text: `\`${body}\``, sub: { kind: '`', body: list, raw: body } };
    }
    const next = s[this.i + 1];
    if (next === '(' && s[this.i + 2] === '(') {
      // arithmetic: kept as text
      const end = s.indexOf('))', this.i + 3);
      const text = s.slice(this.i, end < 0 ? s.length : end + 2);
      this.i += text.length;
      return { text };
    }
    if (next === '(') {
      this.i += 2;
      const body = this.nested(')');
      return { text: `$(${body.raw})`, sub: { kind: '$(', body: body.list, raw: body.raw } };
    }
    if (next === '{') {
      const end = s.indexOf('}', this.i + 2);
      const inner = s.slice(this.i + 2, end < 0 ? s.length : end);
      this.i = end < 0 ? s.length : end + 1;
      return { text: this.expand(inner, inQuotes, `\${${inner}}`) };
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[@*#?$!0-9-])/.exec(s.slice(this.i + 1, this.i + 128));
    if (!m) {
      this.i++;
      return { text: '$' };
    }
    this.i += 1 + m[1]!.length;
    return { text: this.expand(m[1]!, inQuotes, `$${m[1]}`) };
  }

  /** A variable as the shell would see it on a line run by cron or a unit: known assignments, $IFS, empty $@/$*. */
  private expand(name: string, inQuotes: boolean, literal: string): string {
    if (name === 'IFS') return inQuotes ? ' ' : '\u0000';
    if (name === '@' || name === '*') return '';
    const v = this.vars.get(name);
    return v ?? literal;
  }

  /** Parses a body that runs to `close` from this.i (for `$(` and `<(`), leaving this.i after it. */
  private nested(close: string): { raw: string; list: ShellList } {
    const start = this.i;
    if (this.depth >= MAX_DEPTH) {
      const end = this.s.indexOf(close, start);
      this.i = end < 0 ? this.s.length : end + 1;
      return { raw: this.s.slice(start, end < 0 ? this.s.length : end), list: { pipelines: [] } };
    }
    const inner = new Reader(this.s, this.depth + 1);
    for (const [k, v] of this.vars) inner.vars.set(k, v);
    inner.i = start;
    const list = inner.list(close);
    this.i = Math.min(inner.i + 1, this.s.length);
    return { raw: this.s.slice(start, inner.i), list };
  }

  private sub(text: string): ShellList {
    const inner = new Reader(text, this.depth + 1);
    for (const [k, v] of this.vars) inner.vars.set(k, v);
    return inner.list();
  }
}

/** Parses a command line or one logical line of a script. */
export function parseShell(text: string, depth = 0): ShellList {
  return new Reader(text, depth).list();
}

/** Every simple command of a list, in order, groups flattened (not entering substitutions). */
export function commandsOf(l: ShellList): SimpleCommand[] {
  return l.pipelines.flatMap((p) => p.stages.flat());
}
