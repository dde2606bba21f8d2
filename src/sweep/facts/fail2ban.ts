import { Fail2banClient, Fail2banError } from '../../fail2ban/client.js';
import { DEFAULT_CONF_DIR } from '../../fail2ban/defaults.js';
import { readFail2banIni, type Fail2banIni, type IniProblem } from '../../fail2ban/ini.js';
import { argvText, type SweepContext } from '../context.js';

export interface JailValue {
  value: string;
  /** `fail2ban-client … get sshd maxretry` or `jail.local line 4` */
  evidence: string;
  path?: string;
  line?: number;
}

export interface Fail2banFacts {
  dir: string;
  installed: boolean;
  installEvidence: string;
  /** merged jail configuration (jail.conf, jail.d/*.conf, jail.local, jail.d/*.local, with [INCLUDES]), read by fail2ban/ini.ts */
  config: Fail2banIni;
  files: string[];
  /** what fail2ban cannot read (it refuses to start, or skips a file), and files ir could not read */
  errors: IniProblem[];
  /** null offline; otherwise what the server said */
  server: null | { running: boolean; evidence: string; reason?: string; jails: string[] };
  /** the effective value for a jail: the server's when it answers, else the configuration's */
  get(jail: string, key: 'maxretry' | 'bantime' | 'findtime' | 'actions' | 'logpath' | 'backend' | 'enabled' | 'banaction' | 'action'): Promise<JailValue | undefined>;
}

/** the values the running server knows better than the files */
const LIVE_KEYS = ['maxretry', 'bantime', 'findtime', 'actions', 'logpath'] as const;

/**
 * What the server is asked first, in one fail2ban-client process: ping, the jail list, the sshd jail's
 * live values. A plain command (no stdin: fail2banBatchArgv), so over ssh it runs on a kept-open shell
 * while the other checks work. It is not declared to the batch, which runs its commands one after the
 * other before it reads files: fail2ban-client (Python) takes 0.2–0.7 s to start.
 */
const EARLY = [['ping'], ['status'], ...LIVE_KEYS.map((k) => ['get', 'sshd', k])];


/**
 * Why fail2ban-client did not answer, in its words: its output, else its first ERROR line without the
 * time stamp (a WARNING it printed before, `'pidfile' not defined`, is not the reason, and its time
 * stamp would make every sweep's result differ), else its first line.
 */
function whyNoAnswer(stdout: string, stderr: string): string {
  return (stdout.trim() || /ERROR\s+(.*\S)/.exec(stderr)?.[1] || stderr.trim() || 'fail2ban-client did not answer').split('\n')[0]!;
}

const BINARIES = ['/usr/bin/fail2ban-client', '/usr/local/bin/fail2ban-client', '/usr/sbin/fail2ban-client'];

export function fail2banFacts(ctx: SweepContext): Promise<Fail2banFacts> {
  return ctx.memo('fail2ban', async () => {
    const t = ctx.target;
    const dir = ctx.opts.fail2banDir ?? DEFAULT_CONF_DIR;
    let installed = false;
    let installEvidence = '';
    for (const b of BINARIES) {
      if (await t.stat(b).catch(() => null)) {
        installed = true;
        installEvidence = b;
        break;
      }
    }
    const config = await readFail2banIni(t, dir, 'jail');
    if (!installed && config.files.length > 0) installEvidence = `${dir} exists but no fail2ban-client binary`;
    if (!installed) installEvidence ||= `none of ${BINARIES.join(', ')}`;

    let server: Fail2banFacts['server'] = null;
    const client = ['fail2ban-client', '-c', dir];
    /** what the server answered for the sshd jail, asked in the same fail2ban-client process as ping and status */
    const early = new Map<string, string | null>();
    if (t.live && installed) {
      // one Python start for ping, status and the sshd jail's live values (each start costs 0.2–0.7 s, and a round trip over ssh);
      // when it does not answer, the plain ping below says why (once)
      let unanswered: string | undefined;
      const answers = await Fail2banClient.forConfDir(t, dir)
        .batch(EARLY, { diagnose: false })
        .catch((err: unknown) => {
          if (err instanceof Fail2banError) unanswered = err.stderr;
          return null;
        });
      const down = unanswered === undefined ? undefined : whyNoAnswer('', unanswered);
      if (answers && /pong/.test(answers[0] ?? '')) {
        const m = /Jail list:\s*(.*)$/m.exec(answers[1] ?? '');
        server = { running: true, evidence: argvText([...client, 'status']), jails: (m?.[1] ?? '').split(/,\s*/).map((s) => s.trim()).filter(Boolean) };
        LIVE_KEYS.forEach((k, i) => early.set(k, answers[2 + i] ?? null));
      } else if (down && /^Failed to access socket path: .*Is fail2ban running\?$/.test(down)) {
        // no server: -i said so first, in the words the plain ping would (no Python start and round trip more)
        server = { running: false, evidence: argvText([...client, 'ping']), reason: down, jails: [] };
      } else {
        // the plain ping says why (not running, no permission, sudo refused)
        const ping = await ctx.run([...client, 'ping'], { timeoutMs: 10_000 });
        if (ping && ping.code === 0 && /pong/.test(ping.stdout.toString())) {
          const st = await ctx.run([...client, 'status'], { timeoutMs: 10_000 });
          const m = /Jail list:\s*(.*)$/m.exec(st?.stdout.toString() ?? '');
          server = { running: true, evidence: argvText([...client, 'status']), jails: (m?.[1] ?? '').split(/,\s*/).map((s) => s.trim()).filter(Boolean) };
        } else {
          const why = whyNoAnswer(ping?.stdout.toString() ?? '', ping?.stderr.toString() ?? '');
          server = { running: false, evidence: argvText([...client, 'ping']), reason: why, jails: [] };
        }
      }
    }

    const fromConfig = (jail: string, key: string): JailValue | undefined => {
      const v = config.resolve(jail, key);
      if (!v) return undefined;
      return { value: v.value, evidence: `${v.path} line ${v.line}`, path: v.path, line: v.line };
    };
    const liveGet = async (jail: string, key: string): Promise<JailValue | undefined> => {
      const argv = [...client, 'get', jail, key];
      let out: string;
      if (jail === 'sshd' && early.has(key)) {
        const a = early.get(key);
        if (a === null || a === undefined) return undefined;
        out = a.trim();
      } else {
        const res = await ctx.run(argv, { timeoutMs: 10_000 });
        if (!res || res.code !== 0) return undefined;
        out = res.stdout.toString().trim();
      }
      // "The jail sshd has the following actions:\ndummy" / "Current monitored log file(s):\n`- /var/log/auth.log"
      if (key === 'actions' || key === 'logpath') out = out.split('\n').slice(1).map((l) => l.replace(/^[|`]-\s*/, '').trim()).filter(Boolean).join('\n');
      return { value: out, evidence: argvText(argv) };
    };
    return {
      dir,
      installed,
      installEvidence,
      config,
      files: config.files,
      errors: config.errors,
      server,
      async get(jail, key) {
        if (server?.running && server.jails.includes(jail) && (LIVE_KEYS as readonly string[]).includes(key)) {
          const v = await liveGet(jail, key);
          if (v) return v;
        }
        if (key === 'actions') {
          const action = fromConfig(jail, 'action');
          if (!action) return undefined;
          // action = %(action_)s → "iptables-multiport[name=…]": the names before "[" on each line
          const names = action.value.split('\n').map((l) => l.trim().split('[')[0]!.trim()).filter(Boolean);
          return { ...action, value: names.join('\n') };
        }
        return fromConfig(jail, key);
      },
    };
  });
}
