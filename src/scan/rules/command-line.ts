import type { Severity } from '../../core/finding.js';

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

/** Every rule a command line matches; hidden-path skips well-known dotted directories of packages. */
export function classifyCommand(cmd: string): CommandSignal[] {
  const out: CommandSignal[] = [];
  for (const r of RULES) {
    if (!r.test.test(cmd)) continue;
    if (r.rule === 'hidden-path' && isBenignHidden(cmd)) continue;
    out.push({ rule: r.rule, severity: r.severity, reason: r.reason });
  }
  return out;
}

/** Directories that start with a dot in ordinary setups (virtualenvs, pyenv, nvm, cargo). */
function isBenignHidden(cmd: string): boolean {
  const hidden = cmd.match(/\/\.[A-Za-z0-9_-][^\s/]*/g) ?? [];
  return hidden.every((h) => /^\/\.(venv|virtualenvs|pyenv|nvm|cargo|rustup|local|cache|config|npm|rbenv|sdkman|git|well-known)$/.test(h));
}
