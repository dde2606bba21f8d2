import { gunzipSync } from 'node:zlib';
import type { Severity } from '../../core/finding.js';
import { maxSeverity, severityRank } from '../../core/finding.js';
import { hiddenComponent, inWorldWritableDir } from './location.js';
import { decodeEscapes, parseShell, type Pipeline, type ShellList, type SimpleCommand, type Stage, type Word } from './shell-parse.js';

/** What a command line (crontab entry, ExecStart, process cmdline) gives away. */
export interface CommandSignal {
  rule: string;
  severity: Severity;
  reason: string;
}

interface Rule {
  rule: string;
  severity: Severity;
  reason: string;
  test: RegExp;
}

// Attacker idioms as seen in cryptominer droppers, Kinsing/TeamTNT crontabs and reverse-shell cheat sheets.
// They run on the line as written and on its normal form (see normalise below).
const RULES: Rule[] = [
  {
    rule: 'fetch-exec',
    severity: 'critical',
    reason: 'downloads code and pipes it into a shell or interpreter',
    test: /\b(curl|wget|fetch|busybox\s+wget|lwp-download)\b[^|;&]*\|\s*(sudo\s+)?(ba|da|z|k)?sh\b|\b(curl|wget)\b[^|;&]*\|\s*(python\d?|perl|php|ruby|node)\b|\b(ba|da|z)?sh\s+-c\s+["']?\$\((curl|wget)|\b(ba|da|z)?sh\s+<\(\s*(curl|wget)/i,
  },
  {
    rule: 'fetch-run',
    severity: 'high',
    reason: 'downloads a file and makes it executable or runs it',
    test: /\b(curl|wget)\b.*(-o|-O|>)\s*\S+.*(&&|;)\s*(chmod\s+\+?[0-7]*x|\.\/|\/tmp\/|\/dev\/shm\/|\/var\/tmp\/)/i,
  },
  {
    rule: 'reverse-shell',
    severity: 'critical',
    reason: 'reverse shell idiom (shell wired to a network socket)',
    test: /\/dev\/(tcp|udp)\/[^/\s]+\/\d+|\b(nc|ncat|netcat|nc\.traditional)\b[^|;]*\s-[a-z]*[ec]\s|\bsocat\b.*\b(exec|system):|\bmkfifo\b.*\b(nc|ncat|netcat|openssl)\b|\bbash\s+-i\s*>&|\bsh\s+-i\s*[<>]&|\bopenssl\s+s_client\b.*\|\s*(ba)?sh|socket\.socket\(.*(connect|dup2)|\bTCPSocket\.(new|open)\b|fsockopen\(/i,
  },
  {
    rule: 'maintainer-script',
    severity: 'critical',
    reason: 'runs a package maintainer script (dpkg runs those only while installing or removing the package)',
    test: /\/var\/lib\/dpkg\/info\/[^\s/'"]+\.(preinst|postinst|prerm|postrm)\b/,
  },
  {
    rule: 'encoded-payload',
    severity: 'high',
    reason: 'decodes a base64 or hex payload and runs it',
    test: /\bbase64\s+(-d|--decode|-D)\b|\bb64decode\b|\bbase64_decode\s*\(|\bxxd\s+-r\b.*\|\s*(ba)?sh|echo\s+[A-Za-z0-9+/=]{40,}\s*\|/i,
  },
  {
    rule: 'inline-interpreter',
    severity: 'medium',
    reason: 'interpreter running inline code',
    test: /(^|[\s/])(python[\d.]*|perl|php[\d.]*|ruby|node|lua)\s+(-[a-zA-Z]*[cer]\b|-r\s)/,
  },
  {
    rule: 'writable-dir',
    severity: 'high',
    reason: 'runs something from a world-writable directory (/tmp, /var/tmp, /dev/shm)',
    test: /(^|[\s;|&'"=(])(\/tmp|\/var\/tmp|\/dev\/shm|\/run\/shm)\/\S*/,
  },
  {
    rule: 'hidden-path',
    severity: 'medium',
    reason: 'runs something from a hidden file or directory',
    test: /(^|[\s;|&'"=(])\/(?:[^\s/]+\/)*\.[A-Za-z0-9_-][^\s/]*(\/|\s|$)|(^|\s)\.\.\.(\s|\/|$)/,
  },
  {
    rule: 'miner',
    severity: 'critical',
    reason: 'cryptocurrency miner name or pool URL',
    test: /\b(xmrig|kdevtmpfsi|kinsing|minerd|cpuminer|stratum\+tcp|stratum\+ssl|nanopool|minexmr|supportxmr)\b/i,
  },
];

const FETCHERS = /^(curl|wget|fetch|lwp-download|lwp-request|GET|aria2c|tftp|ftp|http|xh|httpie|curlie)$/;
const SHELLS = /^(sh|bash|dash|zsh|ksh|ksh93|mksh|ash|rbash|fish|tcsh|csh|yash|posh)$/;
const INTERPRETERS = /^(python[\d.]*|perl[\d.]*|php[\d.]*|ruby[\d.]*|node|nodejs|lua[\d.]*|tclsh[\d.]*|pwsh)$/;
/** Programs that only pass their stdin on, decoded (the `| base64 -d | sh` and `| rev | sh` spellings). */
const MAX_NESTING = 4;
const MAX_PAYLOAD = 64 * 1024;

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** A command as the kernel would run it: wrappers (env, sudo, nohup…) peeled, the program's path kept. */
export interface Exec {
  /** the program as written (path or bare name), quotes removed */
  program: string;
  /** its basename: what the rules compare */
  name: string;
  args: Word[];
  cmd: SimpleCommand;
  /** command lines this one hands to a shell (`sh -c '…'`, `su -c`, `env -S`, `eval`, `watch`) */
  inner: string[];
}

function opts(words: Word[], i: number, withArg: RegExp, stopAt = /^--$/): number {
  while (i < words.length) {
    const v = words[i]!.value;
    if (stopAt.test(v)) return i + 1;
    if (!v.startsWith('-') || v === '-') return i;
    i += withArg.test(v) ? 2 : 1;
  }
  return i;
}

/**
 * Peels the prefixes that only change how a program runs (`env`, `busybox`, `command`, `exec`, `nohup`,
 * `setsid`, `timeout`, `nice`, `sudo`…), so that `/usr/bin/env /usr/bin/curl` is judged as `curl`.
 * Returns null for words that do not run anything (`command -v curl`).
 */
export function unwrap(cmd: SimpleCommand, words: Word[] = cmd.words): Exec | null {
  const inner: string[] = [];
  let w = words;
  for (let guard = 0; guard < 16 && w.length; guard++) {
    const name = base(w[0]!.value);
    let i = -1;
    switch (name) {
      case 'env': {
        i = 1;
        while (i < w.length) {
          const v = w[i]!.value;
          if (v === '--') {
            i++;
            break;
          }
          if (/^(-S|--split-string)(=|$)/.test(v) || /^-[a-zA-Z]*S./.test(v)) {
            inner.push(v.includes('=') ? v.slice(v.indexOf('=') + 1) : /^-[a-zA-Z]*S./.test(v) ? v.slice(v.indexOf('S') + 1) : (w[i + 1]?.value ?? ''));
            return { program: 'env', name: 'env', args: w.slice(1), cmd, inner };
          }
          if (/^(-u|--unset|-C|--chdir)$/.test(v)) i += 2;
          else if (v.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) i++;
          else break;
        }
        break;
      }
      case 'busybox':
      case 'toybox':
        i = w[1] && !w[1].value.startsWith('-') ? 1 : -1;
        break;
      case 'command':
        if (w.slice(1).some((x) => /^-[a-zA-Z]*[vV]/.test(x.value))) return null;
        i = opts(w, 1, /^$/);
        break;
      case 'exec':
        i = opts(w, 1, /^-a$/);
        break;
      case 'nohup':
      case 'builtin':
      case '!':
      case 'then':
      case 'do':
      case 'else':
      case 'elif':
      case 'if':
      case 'while':
      case 'until':
        i = w[1]?.value === '--' ? 2 : 1;
        break;
      case 'time':
        i = opts(w, 1, /^-[fo]$/);
        break;
      case 'setsid':
        i = opts(w, 1, /^$/);
        break;
      case 'timeout':
        i = opts(w, 1, /^(-s|-k|--signal|--kill-after)$/) + 1;
        break;
      case 'nice':
        i = opts(w, 1, /^(-n|--adjustment)$/);
        break;
      case 'ionice':
        i = opts(w, 1, /^(-c|-n|-p|-P|-u|--class|--classdata)$/);
        break;
      case 'stdbuf':
        i = opts(w, 1, /^(-i|-o|-e)$/);
        break;
      case 'chrt':
        i = opts(w, 1, /^(-T|-P|-D)$/) + 1;
        break;
      case 'taskset':
        i = opts(w, 1, /^$/) + (w.slice(1).some((x) => /^-[a-z]*p/.test(x.value)) ? 0 : 1);
        break;
      case 'chroot':
        i = opts(w, 1, /^(--userspec|--groups)$/) + 1;
        break;
      case 'nsenter':
        i = opts(w, 1, /^(-t|--target|-S|--setuid|-G|--setgid|-w|-r)$/);
        break;
      case 'sudo':
      case 'doas': {
        if (w.slice(1).every((x) => x.value.startsWith('-')) && w.slice(1).some((x) => /^-[a-zA-Z]*[si]/.test(x.value))) return { program: w[0]!.value, name, args: w.slice(1), cmd, inner: [] };
        i = opts(w, 1, /^(-u|-g|-h|-p|-C|-D|-R|-T|-U|-r|-t|--user|--group|--host|--prompt|--chdir|--chroot|--role|--type|--other-user|--close-from|--command-timeout)$/);
        while (i < w.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w[i]!.value)) i++;
        break;
      }
      case 'xargs':
        i = opts(w, 1, /^(-I|-n|-P|-d|-E|-L|-s|-a|--arg-file|--delimiter|--max-args|--max-procs)$/);
        break;
      case 'flock': {
        const c = w.findIndex((x, k) => k > 0 && /^(-c|--command)$/.test(x.value));
        if (c > 0) {
          inner.push(w[c + 1]?.value ?? '');
          return { program: w[0]!.value, name, args: w.slice(1), cmd, inner };
        }
        i = opts(w, 1, /^(-w|-E|--timeout|--conflict-exit-code)$/) + 1;
        break;
      }
      case 'watch': {
        const j = opts(w, 1, /^(-n|-d|--interval|-q)$/);
        inner.push(w.slice(j).map((x) => x.value).join(' '));
        return { program: w[0]!.value, name, args: w.slice(1), cmd, inner };
      }
      case 'su':
      case 'runuser': {
        const c = w.findIndex((x, k) => k > 0 && /^(-c|--command|--session-command)$/.test(x.value));
        if (c > 0) {
          inner.push(w[c + 1]?.value ?? '');
          return { program: w[0]!.value, name, args: w.slice(1), cmd, inner };
        }
        const dd = w.findIndex((x) => x.value === '--');
        if (name === 'runuser' && dd > 0) i = dd + 1;
        break;
      }
      case 'eval':
        inner.push(w.slice(1).map((x) => x.value).join(' '));
        return { program: 'eval', name, args: w.slice(1), cmd, inner };
      default:
        break;
    }
    if (i <= 0 || i >= w.length) break;
    w = w.slice(i);
  }
  if (!w.length) return null;
  const program = w[0]!.value;
  const name = base(program);
  const args = w.slice(1);
  if (SHELLS.test(name) || name === 'busybox') {
    // sh -c 'CMD', bash -lc 'CMD', sh -o pipefail -c 'CMD'
    for (let k = 0; k < args.length; k++) {
      const v = args[k]!.value;
      if (!v.startsWith('-') && !v.startsWith('+')) break;
      if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(v)) {
        inner.push(args[k + 1]?.value ?? '');
        break;
      }
      if (/^[-+]o$/.test(v)) k++;
    }
  }
  return { program, name, args, cmd, inner };
}

/** A shell or interpreter that would run what arrives on its standard input. */
function runsStdin(e: Exec): boolean {
  if (SHELLS.test(e.name)) {
    if (e.inner.length) return false;
    const positional = e.args.filter((a) => !a.value.startsWith('-') && !a.value.startsWith('+'));
    return positional.length === 0 || e.args.some((a) => /^-[a-zA-Z]*s/.test(a.value)) || positional[0]!.value === '/dev/stdin';
  }
  if (INTERPRETERS.test(e.name)) {
    if (e.args.some((a) => /^-[a-zA-Z]*[ceE]$/.test(a.value))) return false;
    const positional = e.args.filter((a) => !a.value.startsWith('-'));
    return positional.length === 0 || positional[0]!.value === '-' || positional[0]!.value === '/dev/stdin';
  }
  return (e.name === 'source' || e.name === '.') && /^\/dev\/(stdin|fd\/0)$/.test(e.args[0]?.value ?? '');
}

function isFetcher(e: Exec): boolean {
  if (FETCHERS.test(e.name)) return true;
  // nc HOST PORT with no listen flag reads what the other end sends
  if (/^(nc|ncat|netcat|nc\.traditional|nc\.openbsd)$/.test(e.name)) return !e.args.some((a) => /^-[a-zA-Z]*l/.test(a.value)) && e.args.filter((a) => !a.value.startsWith('-')).length >= 2;
  return e.name === 'openssl' && e.args[0]?.value === 's_client';
}

/** Programs that turn an encoded payload back into text: how a dropper hides `curl … | sh` from grep. */
function decoderOf(e: Exec): ((s: string) => string | undefined) | undefined {
  const a = e.args.map((x) => x.value);
  const has = (re: RegExp) => a.some((v) => re.test(v));
  if ((e.name === 'base64' || e.name === 'base32') && has(/^(-[a-zA-Z]*[dD][a-zA-Z]*|--decode)$/)) return e.name === 'base64' ? fromBase64 : undefined;
  if (e.name === 'openssl' && has(/^-?(base64|a)$/) && has(/^-d$/)) return fromBase64;
  if (e.name === 'xxd' && has(/^-[a-z]*r/)) return fromHex;
  if (e.name === 'rev') return (s) => s.split('\n').map((l) => [...l].reverse().join('')).join('\n');
  if (e.name === 'tr' && a.length >= 2 && /^(A-Za-z|a-zA-Z)$/.test(a[0]!) && /^(N-ZA-Mn-za-m|n-za-mN-ZA-M)$/.test(a[1]!)) return rot13;
  if (/^(gunzip|zcat)$/.test(e.name) || (e.name === 'gzip' && has(/^-[a-z]*d|--decompress$/))) return (s) => {
    try {
      return gunzipSync(Buffer.from(s, 'latin1'), { maxOutputLength: MAX_PAYLOAD }).toString('utf8');
    } catch {
      return undefined;
    }
  };
  return undefined;
}

function fromBase64(s: string): string | undefined {
  const clean = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean) || clean.length < 4) return undefined;
  return Buffer.from(clean, 'base64').toString('latin1');
}

function fromHex(s: string): string | undefined {
  const clean = s.replace(/\s+|\\x|0x/g, '');
  if (!/^([0-9A-Fa-f]{2})+$/.test(clean)) return undefined;
  return Buffer.from(clean, 'hex').toString('latin1');
}

function rot13(s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => {
    const b = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - b + 13) % 26) + b);
  });
}

/** Text a literal command writes (`echo [-ne] WORDS`, `printf FMT [ARGS]`, `cat <<< WORD`), and whether escapes were decoded. */
function literalOutput(e: Exec): { text: string; escaped: boolean } | undefined {
  const here = e.cmd.redirects.find((r) => r.op === '<<<');
  if (here) return { text: here.target.value + '\n', escaped: false };
  const a = e.args.map((x) => x.value);
  if (e.name === 'echo') {
    let k = 0;
    let esc = false;
    let nl = true;
    while (k < a.length && /^-[neE]+$/.test(a[k]!)) {
      if (a[k]!.includes('e')) esc = true;
      if (a[k]!.includes('n')) nl = false;
      k++;
    }
    const t = a.slice(k).join(' ');
    const text = esc ? decodeEscapes(t.replace(/\\0([0-7]{1,3})/g, '\\$1')) : t;
    return { text: text + (nl ? '\n' : ''), escaped: text !== t };
  }
  if (e.name === 'printf' && a.length) {
    const fmt = a[0]!;
    let k = 1;
    let text = decodeEscapes(fmt.replace(/%%/g, '\u0001')).replace(/%[-0-9.]*[sbdc]/g, () => a[k++] ?? '').replace(/\u0001/g, '%');
    if (a.length > 1 && /%b/.test(fmt)) text = decodeEscapes(text);
    return { text, escaped: /\\(x[0-9a-fA-F]|[0-7])/.test(a.join(' ')) };
  }
  return undefined;
}

/**
 * What a pipeline writes when it is only a literal and decoders (`echo … | base64 -d | rev`): the text
 * and how many decoding steps it took. undefined when any stage is not of that kind.
 */
function evaluate(stages: Stage[], upTo: number): { text: string; decoders: string[] } | undefined {
  let text: string | undefined;
  const decoders: string[] = [];
  for (let k = 0; k < upTo; k++) {
    const st = stages[k]!;
    if (st.length !== 1) return undefined;
    const e = unwrap(st[0]!);
    if (!e) return undefined;
    const here = st[0]!.redirects.find((r) => r.op === '<<<');
    if (k === 0 || here) {
      if (k === 0 && !here) {
        const lit = literalOutput(e);
        if (lit === undefined) return undefined;
        text = lit.text;
        if (lit.escaped) decoders.push(`${e.name} escapes`);
        continue;
      }
      text = here!.target.value + '\n';
    }
    if (e.name === 'cat' && e.args.length === 0) continue;
    const dec = decoderOf(e);
    if (!dec || text === undefined) return undefined;
    const next = dec(text.slice(0, MAX_PAYLOAD * 2));
    if (next === undefined) return undefined;
    text = next.slice(0, MAX_PAYLOAD);
    decoders.push(e.name === 'tr' ? 'rot13' : e.name);
  }
  return text === undefined ? undefined : { text, decoders };
}

/** The output of a `$(…)` body made only of a literal and decoders, trailing newlines cut as the shell does. */
function subOutput(body: ShellList): string | undefined {
  if (body.pipelines.length !== 1) return undefined;
  const p = body.pipelines[0]!;
  const r = evaluate(p.stages, p.stages.length);
  return r?.text.replace(/\n+$/, '');
}

interface Analysis {
  /** normal forms to run the rules on: the line with programs by basename, wrappers peeled, each body apart */
  forms: string[];
  execs: Exec[];
  signals: CommandSignal[];
}

/** A word as the shell would pass it: substitutions that only echo or decode a literal are replaced by their output. */
function wordText(w: Word): string {
  let v = w.value;
  for (const s of w.subs) {
    const out = s.kind === '$(' || s.kind === '`' ? subOutput(s.body) : undefined;
    if (out === undefined) continue;
    const raw = s.kind === '`' ? `\`${s.raw}\`` : `$(${s.raw})`;
    v = v.replace(raw, out);
  }
  return v;
}

function resolvedWords(words: Word[]): Word[] {
  return words.map((w) => (w.subs.length ? { ...w, value: wordText(w) } : w));
}

function renderCommand(c: SimpleCommand, e: Exec | null): string {
  const words = e ? [e.name, ...e.args.map((a) => a.value)] : c.words.map((w) => w.value);
  return [...words, ...c.redirects.map((r) => `${r.op}${r.target.value}`)].join(' ');
}

function renderStage(st: Stage, execs: (Exec | null)[]): string {
  if (st.length === 1) return renderCommand(st[0]!, execs[0]!);
  return `( ${st.map((c, k) => renderCommand(c, execs[k]!)).join(' ; ')} )`;
}

function analyse(text: string, depth: number, out: Analysis): void {
  const list = parseShell(text.slice(0, MAX_PAYLOAD));
  analyseList(list, depth, out);
}

function analyseList(list: ShellList, depth: number, out: Analysis): void {
  const parts: string[] = [];
  for (const p of list.pipelines) parts.push(analysePipeline(p, depth, out) + (p.background ? ' &' : ''));
  out.forms.push(parts.join(' ; '));
}

function add(out: Analysis, s: CommandSignal): void {
  out.signals.push(s);
}

function judgePayload(text: string, how: string, depth: number, out: Analysis): void {
  if (depth >= MAX_NESTING) return;
  const sub: Analysis = { forms: [], execs: [], signals: [] };
  analyse(text, depth + 1, sub);
  for (const s of collect(text, sub)) add(out, { ...s, reason: `${s.reason} (${how === 'literal' ? 'in the text fed to the shell' : `hidden in a ${how} payload`})` });
  out.execs.push(...sub.execs);
}

function analysePipeline(p: Pipeline, depth: number, out: Analysis): string {
  const execsOf: (Exec | null)[][] = p.stages.map((st) =>
    st.map((c) => {
      const cmd: SimpleCommand = { ...c, words: resolvedWords(c.words), redirects: c.redirects.map((r) => ({ ...r, target: { ...r.target, value: wordText(r.target) } })) };
      return unwrap(cmd);
    }),
  );
  // bodies first: $(…), `…`, <(…) anywhere in the pipeline, and the command lines handed to a shell
  for (const st of p.stages) {
    for (const c of st) {
      for (const w of [...c.assigns, ...c.words, ...c.redirects.map((r) => r.target)]) {
        for (const s of w.subs) if (depth < MAX_NESTING) analyseList(s.body, depth + 1, out);
      }
    }
  }
  const flat = execsOf.flat().filter((e): e is Exec => e !== null);
  out.execs.push(...flat);
  for (const e of flat) {
    for (const t of e.inner) if (depth < MAX_NESTING && t) analyse(t, depth + 1, out);
  }
  // a fetcher's output reaching a shell: `curl … | sh`, `sh -c "$(curl …)"`, `bash <(curl …)`, `bash <<< "$(wget -O- …)"`
  const stageFetches = execsOf.map((st) => st.some((e) => e !== null && isFetcher(e)));
  for (let j = 1; j < execsOf.length; j++) {
    const runner = execsOf[j]!.find((e) => e !== null && runsStdin(e));
    if (!runner) continue;
    if (stageFetches.slice(0, j).some(Boolean)) add(out, { rule: 'fetch-exec', severity: 'critical', reason: `downloads code and pipes it into ${runner.name}` });
    // `echo … | base64 -d | sh`: judge what the shell would read
    const lit = evaluate(p.stages, j);
    if (lit && lit.decoders.length) add(out, { rule: 'encoded-payload', severity: 'high', reason: `decodes a payload (${lit.decoders.join(', ')}) and pipes it into ${runner.name}` });
    if (lit) judgePayload(lit.text, lit.decoders.join('+') || 'literal', depth, out);
  }
  for (const e of flat) {
    const fed = [...e.args, ...e.cmd.redirects.filter((r) => r.op === '<' || r.op === '<<<').map((r) => r.target)];
    const viaSub = fed.some((w) => w.subs.some((s) => commandsOfDeep(s.body).some((c) => {
      const x = unwrap(c);
      return x !== null && isFetcher(x);
    })));
    const runsIt = SHELLS.test(e.name) || INTERPRETERS.test(e.name) || e.name === 'eval' || e.name === 'source' || e.name === '.';
    if (runsIt && viaSub) add(out, { rule: 'fetch-exec', severity: 'critical', reason: `runs downloaded code with ${e.name}` });
    // `bash -c "$(echo … | base64 -d)"`, `eval $(printf '\x63…')`
    if (runsIt) {
      for (const w of fed) {
        for (const s of w.subs) {
          const out2 = s.kind === '$(' || s.kind === '`' ? decodedOutput(s.body) : undefined;
          if (out2) judgePayload(out2.text, out2.how, depth, out);
        }
      }
    }
  }
  return p.stages.map((st, k) => renderStage(st, execsOf[k]!)).join(' | ');
}

function decodedOutput(body: ShellList): { text: string; how: string } | undefined {
  if (body.pipelines.length !== 1) return undefined;
  const p = body.pipelines[0]!;
  const r = evaluate(p.stages, p.stages.length);
  return r && r.decoders.length ? { text: r.text, how: r.decoders.join('+') } : undefined;
}

function commandsOfDeep(l: ShellList): SimpleCommand[] {
  return l.pipelines.flatMap((p) => p.stages.flat());
}

/** Base64 or hex literals next to a decoding call in any language (`b64decode('…')`, `bytes.fromhex`). */
function embeddedPayloads(text: string): { text: string; how: string }[] {
  const out: { text: string; how: string }[] = [];
  if (/b64decode|base64|decode_base64|atob\s*\(|FromBase64String|unpack\s*\(\s*["']m/i.test(text)) {
    for (const m of text.matchAll(/[A-Za-z0-9+/]{24,}={0,2}/g)) {
      const d = fromBase64(m[0]);
      if (d && printable(d)) out.push({ text: d, how: 'base64' });
    }
  }
  if (/fromhex|unhexlify|hex2bin|xxd\s+-r|pack\s*\(\s*["']H/i.test(text)) {
    for (const m of text.matchAll(/(?:[0-9A-Fa-f]{2}){12,}/g)) {
      const d = fromHex(m[0]);
      if (d && printable(d)) out.push({ text: d, how: 'hex' });
    }
  }
  return out.slice(0, 8);
}

function printable(s: string): boolean {
  if (!s.length) return false;
  let ok = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if ((c >= 32 && c < 127) || c === 9 || c === 10 || c === 13) ok++;
  }
  return ok / s.length > 0.95;
}

function regexSignals(text: string): CommandSignal[] {
  const out: CommandSignal[] = [];
  for (const r of RULES) {
    if (!r.test.test(text)) continue;
    if (r.rule === 'hidden-path' && isBenignHidden(text)) continue;
    out.push({ rule: r.rule, severity: r.severity, reason: r.reason });
  }
  return out;
}

/** Signals of one command line and its analysis, one per rule, the most severe kept. */
function collect(raw: string, a: Analysis): CommandSignal[] {
  const all: CommandSignal[] = [...regexSignals(raw)];
  for (const f of a.forms) if (f !== raw) all.push(...regexSignals(f));
  all.push(...a.signals);
  for (const e of a.execs) {
    // where the program lives, whatever wrapper started it: `nohup env /tmp/.x/run`
    if (!e.program.startsWith('/')) continue;
    if (inWorldWritableDir(e.program)) all.push({ rule: 'writable-dir', severity: 'high', reason: `runs ${e.program} from a world-writable directory` });
    else if (hiddenComponent(e.program) && !isBenignHidden(e.program)) all.push({ rule: 'hidden-path', severity: 'medium', reason: `runs ${e.program} from a hidden directory` });
  }
  const by = new Map<string, CommandSignal>();
  for (const s of all) {
    const cur = by.get(s.rule);
    if (!cur || severityRank(s.severity) > severityRank(cur.severity)) by.set(s.rule, s);
  }
  // the most severe first: callers name a finding after its first signal
  return [...by.values()].sort((x, y) => severityRank(y.severity) - severityRank(x.severity));
}

/**
 * Every rule a command line matches, judged as the shell would run it: quote-split words joined, program
 * paths by basename, wrappers (env, busybox, sudo, nohup, timeout…) seen through, every pipeline stage and
 * every `$(…)`/backtick body judged, base64/hex/rev payloads that feed a shell decoded and judged again.
 */
export function classifyCommand(cmd: string, depth = 0): CommandSignal[] {
  if (depth > 0 || cmd.length > 4096) return classifyUncached(cmd, depth);
  // scripts repeat their lines (`fi`, `exit 0`, `. /lib/lsb/init-functions`): judged once per scan
  const hit = judged.get(cmd);
  if (hit) return hit.map((s) => ({ ...s }));
  if (judged.size >= 20_000) judged.clear();
  const out = classifyUncached(cmd, 0);
  judged.set(cmd, out.map((s) => ({ ...s })));
  return out;
}

const judged = new Map<string, CommandSignal[]>();

function classifyUncached(cmd: string, depth: number): CommandSignal[] {
  // most lines of a script have nothing to normalise (no quotes, escapes, expansions, pipes, lists or
  // redirections): the rules on the text as written see all there is, plus where its programs live
  if (!SHELL_SYNTAX.test(cmd) && !WRAPPER.test(cmd)) return collect(cmd, { forms: [], execs: plainExecs(cmd), signals: [] });
  const a: Analysis = { forms: [], execs: [], signals: [] };
  analyse(cmd, depth, a);
  if (depth < MAX_NESTING) {
    for (const p of embeddedPayloads(cmd)) {
      for (const s of classifyCommand(p.text, depth + 1)) a.signals.push({ ...s, reason: `${s.reason} (hidden in a ${p.how} payload)` });
    }
  }
  return collect(cmd, a);
}

const SHELL_SYNTAX = /[|&;<>()`$'"\\{}\n]/;
/** Prefixes that hide the program behind them (their second word is the program). */
const WRAPPER = /(^|\/)(env|busybox|toybox|command|exec|nohup|setsid|timeout|nice|ionice|stdbuf|chrt|taskset|chroot|nsenter|sudo|doas|su|runuser|xargs|flock|watch|eval|time|sh|bash|dash|zsh|ksh|ash|then|do|else)\s/;

/** The program of a line with no shell syntax: its first word, when it is a path. */
function plainExecs(cmd: string): Exec[] {
  const first = /^\s*(\S+)/.exec(cmd)?.[1];
  if (!first?.startsWith('/')) return [];
  const w = { value: first, subs: [], onlySub: false, quoted: false };
  return [{ program: first, name: base(first), args: [], cmd: { assigns: [], words: [w], redirects: [] }, inner: [] }];
}

/** The programs a command line runs (paths as written, wrappers peeled, bodies included), for location checks. */
export function commandPrograms(cmd: string): string[] {
  const a: Analysis = { forms: [], execs: [], signals: [] };
  analyse(cmd, 0, a);
  return [...new Set(a.execs.map((e) => e.program))];
}

/** The worst severity of a set of signals, or `base` when there are none. */
export function worstSignal(signals: CommandSignal[], base: Severity = 'info'): Severity {
  let s = base;
  for (const x of signals) s = maxSeverity(s, x.severity);
  return s;
}

/** Directories that start with a dot in ordinary setups (virtualenvs, pyenv, nvm, cargo). */
function isBenignHidden(cmd: string): boolean {
  const hidden = cmd.match(/\/\.[A-Za-z0-9_-][^\s/]*/g) ?? [];
  return hidden.every((h) => /^\/\.(venv|virtualenvs|pyenv|nvm|cargo|rustup|local|cache|config|npm|rbenv|sdkman|git|well-known)$/.test(h));
}
