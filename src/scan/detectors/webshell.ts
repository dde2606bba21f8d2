import { posix } from 'node:path';
import { clip } from '../../core/escape.js';
import { isoFromEpochSeconds } from '../../core/time.js';
import { Collector, type Detector, type DetectorContext } from '../detector.js';
import { contentHash, instanceKey, maxSeverity, type Severity } from '../../core/finding.js';
import { entriesOf, isFileish } from '../rules/judge-file.js';
import { classifyCommand } from '../rules/command-line.js';
import { raise } from '../rules/location.js';
import { walk } from '../walk.js';
import { readBounded, NORMAL } from './util.js';

export const DEFAULT_ROOTS = ['/var/www', '/srv/www', '/srv/http', '/usr/share/nginx/html'];
/** Where Apache's stock ScriptAlias points (Debian, RHEL): CGI programs live outside the document root. */
const DEFAULT_CGI = ['/usr/lib/cgi-bin', '/var/www/cgi-bin'];
export const SERVER_CONFIGS = ['/etc/nginx/nginx.conf', '/etc/nginx/conf.d', '/etc/nginx/sites-enabled', '/etc/apache2/apache2.conf', '/etc/apache2/sites-enabled', '/etc/httpd/conf/httpd.conf', '/etc/httpd/conf.d'];
const SCRIPT = /\.(php\d?|phtml|phar|inc|jsp|jspx|asp|aspx|py|cgi|pl)$/i;
const IMAGE_OR_TEXT = /\.(jpe?g|png|gif|ico|svg|txt|css)$/i;

/** Request input, by language (PHP superglobals, servlet parameters, CGI/Flask forms). */
const INPUT = /\$_(GET|POST|REQUEST|COOKIE|SERVER|FILES)\b|php:\/\/input|getallheaders\s*\(|request\.getParameter|request\.(args|form|values|cookies|headers)\b|cgi\.FieldStorage|\bform\.getvalue|\$ENV\{['"]?QUERY_STRING|\bparam\s*\(/;
const EXEC = /\b(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|assert|eval|create_function|call_user_func(_array)?)\s*\(|`[^`\n]*\$_|Runtime\.getRuntime\(\)\.exec|new\s+ProcessBuilder|\bos\.(system|popen|exec[lv]p?e?)\s*\(|\bsubprocess\.\w+\s*\(|preg_replace\s*\(\s*['"]\/.*\/[a-z]*e[a-z]*['"]/;
const DECODE = /\b(base64_decode|gzinflate|gzuncompress|str_rot13|hex2bin|convert_uudecode)\s*\(/;
const EVAL = /\b(eval|assert|create_function)\s*\(/;

/** CGI programs (Python, Perl, shell) get the request from the environment and stdin. */
const CGI_INPUT = /\$\{?(QUERY_STRING|HTTP_[A-Z_]+|REQUEST_URI|PATH_INFO)\b|os\.environ\b|\$ENV\{|sys\.stdin|<STDIN>|\bread\s+(-[a-z]+\s+)*\w+/;
/** Re-evaluation in a shell CGI (`$(echo $QUERY_STRING)` alone only expands, it does not run the input). */
const CGI_SHELL_EXEC = /\beval\b|\b(ba|da)?sh\s+-c\b|\bexec\s+\$/;
/** A socket opened by the script, and a shell or pty wired to something: the two halves of a reverse or bind shell. */
const SOCKET = /socket\.socket\s*\(|socket\.create_connection|IO::Socket|use\s+Socket\b|\bsocket\s*\(\s*[A-Z$]|TCPSocket|new\s+Socket\s*\(|\/dev\/(tcp|udp)\/|\b(nc|ncat|socat)\s/;
const SPAWN = /pty\.spawn|os\.dup2|\bdup2\s*\(|open\s*\(\s*(STDIN|STDOUT|STDERR)\s*,\s*["']?[+<>]*&|["']\/bin\/(ba|da|z)?sh["']|\/bin\/(ba|da|z)?sh\s+-i|\bexec\s*\{?\s*["']?\/bin\/|subprocess\.\w+\s*\(\s*\[?\s*["'](\/bin\/)?(ba|da|z)?sh["']/;

/** Files under a cgi-bin directory, or named like CGI programs: judged for sockets and shells as well. */
export function isCgi(path: string): boolean {
  return /\/cgi-bin\//.test(path) || /\.(cgi|pl|py|sh)$/i.test(path);
}

export interface WebShellVerdict {
  severity: Severity;
  rule: string;
  reasons: string[];
  line?: number;
  evidence?: string;
}

/** Judges one web file's text: request input reaching a command or eval is a web shell. */
export function judgeWebFile(path: string, text: string): WebShellVerdict | null {
  const reasons: string[] = [];
  let severity: Severity | null = null;
  let rule = '';
  let line: number | undefined;
  let evidence: string | undefined;
  const set = (s: Severity, r: string, why: string, at?: number, ev?: string) => {
    if (!severity || maxSeverity(severity, s) !== severity) {
      rule = r;
      line = at;
      evidence = ev;
    }
    severity = severity ? maxSeverity(severity, s) : s;
    reasons.push(why);
  };
  const cgi = isCgi(path);
  const shellCgi = cgi && (/\.sh$/.test(path) || /^#!\s*\S*\/(env\s+)?(ba|da|z)?sh\b/.test(text));
  text.split('\n').forEach((l, i) => {
    if (INPUT.test(l) && EXEC.test(l)) set('critical', 'request-exec', 'passes request input to a command, eval or process', i + 1, l.trim());
    else if (cgi && CGI_INPUT.test(l) && (EXEC.test(l) || (shellCgi && CGI_SHELL_EXEC.test(l)))) set('critical', 'request-exec', 'CGI program that passes request input to a command or eval', i + 1, l.trim());
    else if (EVAL.test(l) && DECODE.test(l)) set('high', 'encoded-eval', 'evaluates a decoded (base64/gzip/rot13) payload', i + 1, l.trim());
    if (cgi && l.length < 4096) {
      const strong = classifyCommand(l).find((s) => s.rule === 'reverse-shell' || s.rule === 'fetch-exec');
      if (strong) set('critical', `cgi-${strong.rule}`, `CGI program: ${strong.reason}`, i + 1, l.trim());
    }
  });
  if (cgi && SOCKET.test(text) && SPAWN.test(text)) set('critical', 'cgi-reverse-shell', 'CGI program that opens a socket and hands it a shell (reverse or bind shell)');
  if (!severity && text.length < 8192 && (INPUT.test(text) || (cgi && CGI_INPUT.test(text))) && (EXEC.test(text) || (shellCgi && CGI_SHELL_EXEC.test(text)))) set('high', 'request-exec', 'small script that reads request input and runs commands');
  const name = posix.basename(path);
  if (IMAGE_OR_TEXT.test(name) && /<\?php|<%@?\s*page/.test(text.slice(0, 65536))) set('high', 'disguised-script', 'server-side code inside a file named like an image or text');
  if (severity && /\/uploads?\//i.test(path)) reasons.push('in an upload directory (where a web shell lands)');
  if (severity && name.startsWith('.')) {
    severity = raise(severity);
    reasons.push('hidden file name');
  }
  if (!severity) {
    if (/\/uploads?\//i.test(path) && /\.(php\d?|phtml|phar|jspx?|aspx?)$/i.test(name)) return { severity: 'medium', rule: 'upload-script', reasons: ['server-side script in an upload directory'] };
    return null;
  }
  return { severity, rule, reasons: [...new Set(reasons)], line, evidence };
}

/** Web roots named by the server configs (`root` in nginx, `DocumentRoot` in Apache) besides the usual ones; with `cgi`, also the CGI directories (`ScriptAlias`). */
export async function webRoots(ctx: DetectorContext, c: Collector, cgi = false): Promise<string[]> {
  const roots = new Set(cgi ? [...DEFAULT_ROOTS, ...DEFAULT_CGI] : DEFAULT_ROOTS);
  for (const p of SERVER_CONFIGS) {
    const st = await ctx.target.stat(p).catch(() => null);
    const files = st?.type === 'dir' ? (await entriesOf(c, ctx, p)).filter(isFileish).map((e) => e.path) : st ? [p] : [];
    for (const f of files) {
      const file = await readBounded(ctx.target, c, f, 256 * 1024, { kind: 'web server configuration', normal: NORMAL.config });
      for (const m of file?.text.matchAll(/^\s*(?:root|DocumentRoot|alias)\s+["']?(\/[^"';\s]+)/gim) ?? []) roots.add(m[1]!.replace(/\/+$/, '') || '/');
      if (cgi) for (const m of file?.text.matchAll(/^\s*ScriptAlias(?:Match)?\s+\S+\s+["']?(\/[^"';\s]+)/gim) ?? []) roots.add(m[1]!.replace(/\/+$/, '') || '/');
    }
  }
  // a web root of / or /etc would walk the whole system: those are reported by the config review, not walked
  return [...roots].filter((r) => r.split('/').length > 2).sort();
}

export const webshell: Detector = {
  id: 'webshell',
  title: 'Web shells under web roots and cgi-bin directories (request input reaching exec/eval; CGI programs that open sockets or spawn shells)',
  category: 'persistence',
  attack: ['T1505.003'],
  locations: [
    ...[...DEFAULT_ROOTS, ...DEFAULT_CGI].map((r) => `${r}/** (lstat: the walk)`),
    ...DEFAULT_ROOTS.map((r) => `${r}/**/*.{php,php3,php4,php5,php7,php8,phtml,phar,inc,jsp,jspx,asp,aspx,py,cgi,pl,sh}`),
    ...DEFAULT_ROOTS.map((r) => `${r}/**/*.{php,jsp}*.{jpg,jpeg,png,gif,ico,svg,txt,css}`),
    ...DEFAULT_ROOTS.map((r) => `${r}/**/{upload,uploads}/**`),
    ...[...DEFAULT_ROOTS.map((r) => `${r}/**/cgi-bin`), ...DEFAULT_CGI].map((r) => `${r}/**`),
    ...SERVER_CONFIGS.map((p) => (p.endsWith('.conf') ? p : `${p} ${p}/*`)),
    'nginx root / alias, Apache DocumentRoot and ScriptAlias from /etc/nginx, /etc/apache2, /etc/httpd (more web roots)',
  ],
  async run(ctx) {
    const c = new Collector('webshell', 'persistence', ctx.target.name);
    const all = await webRoots(ctx, c, true);
    // a root inside another (/var/www/cgi-bin in /var/www) is walked once
    const roots = all.filter((r) => !all.some((o) => o !== r && r.startsWith(o + '/')));
    const files: string[] = [];
    const r = await walk(
      ctx.target,
      roots,
      (e) => {
        if (e.stat.type !== 'file') return;
        if (SCRIPT.test(e.name) || (IMAGE_OR_TEXT.test(e.name) && /\.(php|jsp)/i.test(e.name)) || (/\/uploads?\//i.test(e.path) && e.stat.size < 65536)) files.push(e.path);
        // CGI programs often have no extension: everything under a cgi-bin directory is read
        else if (/\/cgi-bin\//.test(e.path) && e.stat.size < 1024 * 1024) files.push(e.path);
      },
      (dir, err) => c.warn(err.message, dir),
      { maxEntries: ctx.deep ? 2_000_000 : 200_000, prune: (p) => /\/(node_modules|\.git)$/.test(p) },
    );
    if (r.truncated) c.warn(`web root walk stopped after ${r.entries} entries (use --deep for more)`);
    for (const path of [...new Set(files)].sort()) {
      const file = await readBounded(ctx.target, new Collector('webshell', 'persistence', ctx.target.name), path, 512 * 1024);
      if (!file) continue;
      c.examined++;
      const v = judgeWebFile(path, file.text);
      if (!v) continue;
      c.add({
        rule: `webshell.${v.rule}`,
        key: instanceKey('webshell', path, 'file'),
        contentHash: contentHash(file.text),
        severity: v.severity,
        title: `Web shell: ${v.reasons[0]}`,
        path,
        line: v.line,
        evidence: clip(v.evidence ?? file.text.slice(0, 300), 300),
        attack: 'T1505.003',
        reason: v.reasons.join('; '),
        remediation: `Preserve ${path} and the web server access logs (ir collect), find the request that wrote it, then remove it.`,
        mtime: isoFromEpochSeconds(file.stat.mtime),
        details: { webRoots: roots.filter((r) => path.startsWith(r + '/')) },
      });
    }
    return c.result();
  },
};
