import type { Target } from '../../host/target.js';

/**
 * The responder's address as the host sees it: SSH_CLIENT of our own session. Under sudo the variable
 * is gone from the environment, so walk up the process tree and read it from the first ancestor that
 * has it (the login shell sshd started). Locally this is ir's own environment.
 */
export const SSH_CLIENT_SCRIPT = `p=$$
while [ -n "$p" ] && [ "$p" -gt 1 ]; do
  v=$(tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | sed -n 's/^SSH_CLIENT=//p' | head -n 1)
  if [ -n "$v" ]; then echo "$v"; exit 0; fi
  p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null)
done
exit 1`;

export async function responderAddress(target: Target): Promise<string | null> {
  const res = await target.exec(['sh', '-c', SSH_CLIENT_SCRIPT], { privileged: true, timeoutMs: 15_000 }).catch(() => null);
  if (!res || res.code !== 0) return null;
  const ip = res.stdout.toString('utf8').trim().split(/\s+/)[0];
  return ip || null;
}

/** `ss -Htlnp` lines of sockets sshd listens on in this network namespace: port and pid. */
export function parseSshdListeners(ssOut: string): { port: number; pid: number }[] {
  const out: { port: number; pid: number }[] = [];
  for (const line of ssOut.split('\n')) {
    const m = /\s(\S+):(\d+)\s+\S+\s+users:\(\("sshd",pid=(\d+)/.exec(line);
    if (m) out.push({ port: Number(m[2]), pid: Number(m[3]) });
  }
  return out;
}

/** `-f FILE` from a process's argv (NUL-separated /proc/PID/cmdline, or the listener's proctitle). */
export function configFromCmdline(cmdline: string): string | undefined {
  // the listener rewrites its argv into one proctitle ("sshd: /usr/sbin/sshd -f FILE [listener] ..."): split on both
  const args = cmdline.split(/[\0\s]+/);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-f' && args[i + 1]) return args[i + 1];
    if (args[i]!.startsWith('-f') && args[i]!.length > 2) return args[i]!.slice(2);
  }
  return undefined;
}

export function parseSshdT(out: string): { ports: number[]; authorizedKeysFiles: string[] } {
  const ports: number[] = [];
  let akf: string[] = [];
  for (const line of out.split('\n')) {
    const [k, ...rest] = line.trim().split(/\s+/);
    if (k === 'port' && /^\d+$/.test(rest[0] ?? '')) ports.push(Number(rest[0]));
    if (k === 'authorizedkeysfile') akf = rest;
  }
  return { ports: [...new Set(ports)], authorizedKeysFiles: akf };
}

export interface SshdFacts {
  ports: number[];
  /** sshd -T -f CONFIG of the running sshd, ss listeners, or the default 22 */
  source: string;
  authorizedKeysFiles: string[];
}

/** SSH's port(s), read from the sshd that runs in this network namespace (`sshd -T`), 22 when none can be read. */
export async function sshdFacts(target: Target): Promise<SshdFacts> {
  const ss = await target.exec(['ss', '-Htlnp'], { privileged: true, timeoutMs: 15_000 }).catch(() => null);
  const listeners = ss && ss.code === 0 ? parseSshdListeners(ss.stdout.toString('utf8')) : [];
  let config: string | undefined;
  if (listeners[0]) {
    const cmd = await target.exec(['cat', `/proc/${listeners[0].pid}/cmdline`], { privileged: true }).catch(() => null);
    if (cmd && cmd.code === 0) config = configFromCmdline(cmd.stdout.toString('utf8'));
  }
  const argv = ['sshd', '-T', ...(config ? ['-f', config] : [])];
  for (const bin of ['sshd', '/usr/sbin/sshd']) {
    argv[0] = bin;
    const t = await target.exec(argv, { privileged: true, timeoutMs: 15_000 }).catch(() => null);
    if (t && t.code === 0) {
      const facts = parseSshdT(t.stdout.toString('utf8'));
      if (facts.ports.length) return { ports: facts.ports, source: argv.join(' '), authorizedKeysFiles: facts.authorizedKeysFiles };
    }
  }
  if (listeners.length) return { ports: [...new Set(listeners.map((l) => l.port))], source: 'ss -tlnp (sshd listeners)', authorizedKeysFiles: ['.ssh/authorized_keys', '.ssh/authorized_keys2'] };
  return { ports: [22], source: 'default (no sshd could be read)', authorizedKeysFiles: ['.ssh/authorized_keys', '.ssh/authorized_keys2'] };
}
