import pLimit from 'p-limit';
import type { ProcessInfo } from './proc.js';
import type { Target } from './target.js';

export type Proto = 'tcp' | 'tcp6' | 'udp' | 'udp6';

export interface Socket {
  proto: Proto;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: string;
  inode: number;
  uid: number;
  /** network namespace the table was read in */
  netns?: string;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** /proc/net/tcp stores addresses as host-order 32-bit words in hex (little-endian on x86 and arm). */
export function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const n = Buffer.from(hex, 'hex');
    return `${n[3]}.${n[2]}.${n[1]}.${n[0]}`;
  }
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = Buffer.from(hex.slice(i, i + 8), 'hex').reverse().toString('hex');
    words.push(w.slice(0, 4), w.slice(4, 8));
  }
  const v4mapped = words.slice(0, 5).every((w) => w === '0000') && words[5] === 'ffff';
  if (v4mapped) {
    const b = Buffer.from(words[6]! + words[7]!, 'hex');
    return `::ffff:${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  }
  // compress the longest run of zero groups, as inet_ntop does
  const groups = words.map((w) => w.replace(/^0+(?=.)/, ''));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

export function parseNetTable(text: string, proto: Proto, netns?: string): Socket[] {
  const out: Socket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [la, lp] = f[1]!.split(':');
    const [ra, rp] = f[2]!.split(':');
    const st = f[3]!;
    out.push({
      proto,
      localAddress: decodeAddress(la!),
      localPort: parseInt(lp!, 16),
      remoteAddress: decodeAddress(ra!),
      remotePort: parseInt(rp!, 16),
      state: proto.startsWith('tcp') ? (TCP_STATES[st] ?? st) : st === '07' ? 'UNCONN' : st === '01' ? 'ESTABLISHED' : st,
      uid: Number(f[7]),
      inode: Number(f[9]),
      netns,
    });
  }
  return out;
}

/** Sockets of every network namespace that has a process in it (containers' listeners too). */
export async function listSockets(t: Target, procs: ProcessInfo[]): Promise<Socket[]> {
  const byNs = new Map<string, number>();
  for (const p of procs) if (p.netns && !byNs.has(p.netns) && !p.kernelThread) byNs.set(p.netns, p.pid);
  const out: Socket[] = [];
  for (const [ns, pid] of byNs) {
    for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as Proto[]) {
      const buf = await t.readFile(`/proc/${pid}/net/${proto}`).catch(() => null);
      if (buf) out.push(...parseNetTable(buf.toString('utf8'), proto, ns));
    }
  }
  return out;
}

/** socket inode → owning pids, from the `socket:[INODE]` links in /proc/PID/fd. */
export async function socketOwners(t: Target, procs: ProcessInfo[], wanted: Set<number>): Promise<Map<number, number[]>> {
  const owners = new Map<number, number[]>();
  if (wanted.size === 0) return owners;
  const limit = pLimit(48);
  await Promise.all(
    procs
      .filter((p) => !p.kernelThread)
      .map((p) =>
        limit(async () => {
          const fds = await t.list(`/proc/${p.pid}/fd`).catch(() => []);
          await Promise.all(
            fds.map(async (fd) => {
              const link = await t.readlink(fd.path).catch(() => '');
              const m = /^socket:\[(\d+)\]$/.exec(link);
              if (!m) return;
              const inode = Number(m[1]);
              if (!wanted.has(inode)) return;
              owners.set(inode, [...(owners.get(inode) ?? []), p.pid]);
            }),
          );
        }),
      ),
  );
  return owners;
}

export function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.');
}

export function isWildcard(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::';
}
