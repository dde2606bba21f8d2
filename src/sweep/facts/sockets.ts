import { argvText, type SweepContext } from '../context.js';

export interface ListeningSocket {
  proto: 'tcp' | 'udp';
  address: string;
  port: number;
  process?: string;
  raw: string;
}

/** `ss -Htlnup`: `tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))` (-H: no header). */
export function parseSs(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const proto = f[0] === 'udp' ? 'udp' : f[0] === 'tcp' ? 'tcp' : null;
    if (!proto) continue;
    const local = f[4]!;
    const i = local.lastIndexOf(':');
    const address = local.slice(0, i).replace(/^\[|\]$/g, '').replace(/%\S+$/, '');
    const port = Number(local.slice(i + 1));
    if (!Number.isInteger(port)) continue;
    const proc = /users:\(\("([^"]+)"/.exec(line)?.[1];
    out.push({ proto, address, port, process: proc, raw: line.trim() });
  }
  return out;
}

/** Loopback or a link-local scope: not reachable from outside the host. */
export function isLocalAddress(a: string): boolean {
  return /^127\./.test(a) || a === '::1' || a === 'localhost' || /^fe80:/i.test(a) || /^::ffff:127\./.test(a);
}

/** The listening sockets, with their processes. */
export const SS_LISTENING = ['ss', '-Htlnup'];
export const socketCommands = (): string[][] => [SS_LISTENING];

export function listeningSockets(ctx: SweepContext): Promise<{ sockets: ListeningSocket[]; evidence: string } | null> {
  return ctx.memo('sockets', async () => {
    const argv = SS_LISTENING;
    const res = await ctx.run(argv);
    if (!res || res.code !== 0) return null;
    return { sockets: parseSs(res.stdout.toString('utf8')), evidence: argvText(argv) };
  });
}
