import { canonicalIp } from '../core/ip.js';
import { TargetError, type Target } from '../host/target.js';

/**
 * fail2ban-client through the Target (argv locally, quoted over ssh), with the exact outputs of
 * fail2ban 1.0.2: human text on stdout, errors on stderr with a timestamp, exit 0 or 255.
 */

import { DEFAULT_SOCKET } from './defaults.js';
export { DEFAULT_SOCKET };

/**
 * fail2ban cannot be asked: not installed, not running, or ir may not ask it (no permission on the
 * socket, sudo refused, an offline image). One clear line, never a stack trace. Not installed and not
 * running are facts about the host; `denied` means ir could not look.
 */
export class Fail2banUnavailable extends TargetError {
  constructor(
    message: string,
    readonly why: 'not-installed' | 'not-running' | 'denied' | 'offline' = 'not-running',
  ) {
    super('NOT_AVAILABLE', message);
    this.name = 'Fail2banUnavailable';
  }
}

/** fail2ban answered with an error (`NOK`): a jail that does not exist, a bad command. */
export class Fail2banError extends TargetError {
  constructor(
    message: string,
    /** what fail2ban-client wrote on stderr, when `batch` got no answers (its own words for why) */
    readonly stderr?: string,
  ) {
    super('IO', message);
    this.name = 'Fail2banError';
  }
}

export interface BannedWithTime {
  ip: string;
  /** UTC ISO 8601 when fail2ban's server runs in UTC; as fail2ban printed it otherwise */
  bannedAt?: string;
  bantimeSeconds?: number;
  expires?: string;
}

export interface JailStatus {
  jail: string;
  currentlyFailed: number;
  totalFailed: number;
  currentlyBanned: number;
  totalBanned: number;
  files: string[];
  journalMatches?: string;
  bannedIps: string[];
}

/** `fail2ban-client WHERE ARGS` (WHERE: `-s SOCKET` or `-c CONF_DIR`). */
export function fail2banArgv(where: string[], args: string[]): string[] {
  return ['fail2ban-client', ...where, ...args];
}

/**
 * The argv of `batch(cmds)`: fail2ban-client `-i` (interactive mode, reading stdin) fed the
 * commands by `printf` in a small `sh -c`, so that it is a plain command with no input of its own.
 * Over ssh a plain command can be declared to the remote batch and answered from it, or run on a
 * kept-open shell (one round trip, no channel, no sudo: docs/remote.md); a command with stdin needs
 * a channel of its own. The commands come as one argument, never inside the script.
 */
export function fail2banBatchArgv(where: string[], cmds: string[][]): string[] {
  return ['sh', '-c', 'c=$1; shift; printf \'%s\\n\' "$c" | "$@"', 'ir-fail2ban', cmds.map((c) => c.join(' ')).join('\n'), ...fail2banArgv(where, ['-i'])];
}


export class Fail2banClient {
  constructor(
    private readonly target: Target,
    readonly socket: string = DEFAULT_SOCKET,
    /** how fail2ban-client finds its server: `-s SOCKET` (default), or `-c CONF_DIR` (the socket its configuration names) */
    private readonly where: string[] = ['-s', socket],
  ) {}

  /** A client that finds the socket in the configuration directory, as `fail2ban-client -c DIR` does. */
  static forConfDir(target: Target, dir: string): Fail2banClient {
    return new Fail2banClient(target, `the socket of ${dir}`, ['-c', dir]);
  }

  argv(args: string[]): string[] {
    return fail2banArgv(this.where, args);
  }

  /** Runs one command; stdout on success, a typed error otherwise. */
  async run(args: string[]): Promise<string> {
    let r;
    try {
      r = await this.target.exec(this.argv(args), { privileged: true, timeoutMs: 20_000 });
    } catch (err) {
      if (err instanceof TargetError && err.code === 'ENOENT') throw new Fail2banUnavailable('fail2ban is not installed (no fail2ban-client)', 'not-installed');
      if (err instanceof TargetError && err.code === 'NOT_AVAILABLE') throw new Fail2banUnavailable('fail2ban: not available offline (the bans are read from its database instead)', 'offline');
      throw err;
    }
    const out = r.stdout.toString('utf8');
    const errText = r.stderr.toString('utf8');
    if (r.code === 0) return out;
    if (/command not found|No such file or directory.*fail2ban-client|fail2ban-client: not found/.test(errText) || r.code === 127) throw new Fail2banUnavailable('fail2ban is not installed (no fail2ban-client)', 'not-installed');
    if (/Failed to access socket path|Is fail2ban running\?/.test(errText + out)) throw new Fail2banUnavailable(`fail2ban is not running (no server at ${this.socket})`, 'not-running');
    if (/Permission denied/i.test(errText + out)) throw new Fail2banUnavailable(`permission denied on ${this.socket}: run as root or with --sudo`, 'denied');
    if (/a password is required|sudo:/.test(errText)) throw new Fail2banUnavailable(`sudo refused: ${errText.trim().split('\n')[0]}`, 'denied');
    const msg = (out.trim() || errText.replace(/^.*?ERROR\s+/m, '').trim()).split('\n')[0] ?? `exit ${r.code}`;
    throw new Fail2banError(`fail2ban-client ${args.join(' ')}: ${msg}`);
  }

  /** The argv of `batch(cmds)` (fail2banBatchArgv). */
  batchArgv(cmds: string[][]): string[] {
    return fail2banBatchArgv(this.where, cmds);
  }

  /**
   * Several read-only commands in one fail2ban-client process (`-i`): one Python start instead of
   * one per command (0.2–0.7 s each). Answers are split on the `fail2ban> ` prompt; an answer is
   * `null` when fail2ban said the jail does not exist. When it did not answer, the plain `ping` says
   * why (a typed error); `diagnose: false` leaves that to the caller (a Fail2banError then).
   */
  async batch(cmds: string[][], opts: { diagnose?: boolean } = {}): Promise<(string | null)[]> {
    if (cmds.length === 0) return [];
    const r = await this.target.exec(this.batchArgv(cmds), { privileged: true, timeoutMs: 60_000 });
    const parts = r.stdout.toString('utf8').split('fail2ban> ');
    // no server (or no permission): -i still prints a prompt per command, with empty answers, and says why on stderr
    const stderr = r.stderr.toString('utf8');
    if (parts.length < cmds.length + 1 || /Failed to access socket path|Permission denied|a password is required/i.test(stderr)) {
      // the server went away between calls: the plain command gives the precise error
      if (opts.diagnose !== false) await this.run(['ping']);
      throw new Fail2banError(`fail2ban-client -i: ${cmds.length} answers expected, got ${parts.length - 1}`, stderr);
    }
    return parts.slice(1, cmds.length + 1).map((a) => (/^Sorry but the jail '.*' does not exist/m.test(a) || /^Invalid command/m.test(a) ? null : a.replace(/\n$/, '')));
  }

  async ping(): Promise<void> {
    await this.run(['ping']);
  }

  /** `Status\n|- Number of jail:\t2\n`- Jail list:\trecidive-test, sshd` */
  async jails(): Promise<string[]> {
    const out = await this.run(['status']);
    const m = /Jail list:\s*(.*)$/m.exec(out);
    return m && m[1]!.trim() ? m[1]!.split(',').map((s) => s.trim()).filter(Boolean) : [];
  }

  async status(jail: string): Promise<JailStatus> {
    return parseJailStatus(jail, await this.run(['status', jail]));
  }

  /** `get JAIL banip --with-time`: `IP \t2026-11-24 00:28:50 + 3600 = 2026-11-24 01:28:50` per line */
  async bannedWithTime(jail: string): Promise<BannedWithTime[]> {
    return parseBanipWithTime(await this.run(['get', jail, 'banip', '--with-time']));
  }

  async get(jail: string, key: string): Promise<string> {
    return (await this.run(['get', jail, key])).trim();
  }

  /** Jails that ban each address now: `banned IP…` → `[['sshd'], []]` (a Python repr). */
  async jailsBanning(ips: string[]): Promise<Map<string, string[]>> {
    const out = await this.run(['banned', ...ips]);
    const lists = parsePyRepr(out) as string[][];
    const m = new Map<string, string[]>();
    ips.forEach((ip, i) => m.set(ip, Array.isArray(lists[i]) ? lists[i]! : []));
    return m;
  }

  /**
   * Every banned address with its jails: `banned` → `[{'sshd': ['203.0.113.9']}]`, keyed by the
   * canonical spelling (core/ip.ts; fail2ban stores addresses so, and a text that is no address as given).
   */
  async allBanned(): Promise<Map<string, string[]>> {
    const out = await this.run(['banned']);
    const list = parsePyRepr(out) as Record<string, string[]>[];
    const m = new Map<string, string[]>();
    for (const rec of Array.isArray(list) ? list : []) {
      for (const [jail, ips] of Object.entries(rec)) {
        for (const raw of ips) {
          const ip = canonicalIp(raw) ?? raw;
          m.set(ip, [...(m.get(ip) ?? []), jail]);
        }
      }
    }
    return m;
  }

  /**
   * `set JAIL unbanip IP`: 1 when it was banned there, 0 when not (fail2ban's --report-absent meaning).
   * Sent in canonical spelling: fail2ban 1.0 stores `2001:DB8::7` as `2001:db8::7`, and its unbanip
   * finds a ban only by the stored text (`unbanip 2001:DB8::7` answers 0 and the ban stays).
   */
  async unban(jail: string, ip: string): Promise<boolean> {
    return (await this.run(['set', jail, 'unbanip', canonicalIp(ip) ?? ip])).trim() === '1';
  }

  /** `set JAIL banip IP`: 1 when newly banned, 0 when it already was. */
  async ban(jail: string, ip: string): Promise<boolean> {
    return (await this.run(['set', jail, 'banip', canonicalIp(ip) ?? ip])).trim() === '1';
  }
}

export function parseJailStatus(jail: string, out: string): JailStatus {
  const num = (label: string): number => {
    const m = new RegExp(`${label}:\\s*(\\d+)`).exec(out);
    return m ? Number(m[1]) : 0;
  };
  const line = (label: string): string | undefined => new RegExp(`${label}:[ \\t]*(.*)$`, 'm').exec(out)?.[1]?.trim();
  const banned = line('Banned IP list') ?? '';
  const files = line('File list');
  return {
    jail,
    currentlyFailed: num('Currently failed'),
    totalFailed: num('Total failed'),
    currentlyBanned: num('Currently banned'),
    totalBanned: num('Total banned'),
    files: files ? files.split(/\s+/).filter(Boolean) : [],
    journalMatches: line('Journal matches'),
    bannedIps: banned ? banned.split(/\s+/).filter(Boolean) : [],
  };
}

/** Ban times are in the server's local time zone; fail2ban prints no zone, so they are kept as printed. */
export function parseBanipWithTime(out: string): BannedWithTime[] {
  const res: BannedWithTime[] = [];
  for (const l of out.split('\n')) {
    const s = l.trim();
    if (!s) continue;
    const m = /^(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \+ (-?\d+) = (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/.exec(s);
    if (m) res.push({ ip: m[1]!, bannedAt: m[2]!.replace(' ', 'T'), bantimeSeconds: Number(m[3]), expires: Number(m[3]) < 0 ? undefined : m[4]!.replace(' ', 'T') });
    else for (const ip of s.split(/\s+/)) res.push({ ip });
  }
  return res;
}

/** A Python literal of lists, dicts and strings (what fail2ban-client prints for `banned`) as JSON. */
export function parsePyRepr(text: string): unknown {
  const s = text.trim();
  if (!s) return [];
  let json = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      let v = '';
      while (j < s.length && s[j] !== c) {
        if (s[j] === '\\' && j + 1 < s.length) j++;
        v += s[j];
        j++;
      }
      json += JSON.stringify(v);
      i = j;
    } else json += c;
  }
  try {
    return JSON.parse(json.replace(/\bNone\b/g, 'null').replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false'));
  } catch {
    throw new Fail2banError(`cannot read fail2ban's answer: ${s.slice(0, 80)}`);
  }
}
