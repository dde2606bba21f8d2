import pLimit from 'p-limit';
import type { Target } from './target.js';
import { NotAvailable } from './target.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  uid: number;
  /** the kernel's name (comm, 15 characters) */
  comm: string;
  argv: string[];
  /** argv joined by spaces, as ps shows it */
  cmdline: string;
  /** /proc/PID/exe target, without the " (deleted)" suffix; undefined for kernel threads or when unreadable */
  exe?: string;
  exeDeleted: boolean;
  cwd?: string;
  /** UTC ISO 8601 start time, from the boot time and the start tick */
  startTime?: string;
  /** `net:[4026531833]`: the network namespace */
  netns?: string;
  /** `pid:[…]`: the pid namespace (containers have their own) */
  pidns?: string;
  kernelThread: boolean;
}

const CLK_TCK = 100; // USER_HZ is 100 on every Linux architecture that matters here

/** /proc/PID/stat: the comm field can hold spaces and parentheses, so split at the LAST ')'. */
export function parseStat(text: string): { comm: string; ppid: number; startTicks: number; flags: number } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) return null;
  const rest = text.slice(close + 2).split(' ');
  return { comm: text.slice(open + 1, close), ppid: Number(rest[1]), flags: Number(rest[6]), startTicks: Number(rest[19]) };
}

export async function bootTime(t: Target): Promise<number | undefined> {
  const stat = await t.readFile('/proc/stat').catch(() => null);
  const m = stat && /^btime (\d+)$/m.exec(stat.toString());
  return m ? Number(m[1]) : undefined;
}

/** Every process of a live target, read from /proc through the Target (local fs or sftp). */
export async function listProcesses(t: Target, opts: { concurrency?: number } = {}): Promise<ProcessInfo[]> {
  if (!t.live) throw new NotAvailable('processes');
  const btime = await bootTime(t);
  const entries = (await t.list('/proc')).filter((e) => /^\d+$/.test(e.name));
  const limit = pLimit(opts.concurrency ?? 48);
  const link = (p: string) => t.readlink(p).catch(() => undefined);
  const procs = await Promise.all(
    entries.map((e) =>
      limit(async (): Promise<ProcessInfo | null> => {
        const base = `/proc/${e.name}`;
        const [statBuf, cmdBuf, exe, cwd, netns, pidns] = await Promise.all([
          t.readFile(`${base}/stat`).catch(() => null),
          t.readFile(`${base}/cmdline`, { maxBytes: 256 * 1024 }).catch(() => null),
          link(`${base}/exe`),
          link(`${base}/cwd`),
          link(`${base}/ns/net`),
          link(`${base}/ns/pid`),
        ]);
        if (!statBuf) return null; // exited meanwhile
        const st = parseStat(statBuf.toString('utf8'));
        if (!st) return null;
        const argv = cmdBuf && cmdBuf.length ? cmdBuf.toString('utf8').replace(/\0+$/, '').split('\0') : [];
        const kernelThread = (st.flags & 0x00200000) !== 0 || (argv.length === 0 && !exe);
        const deleted = exe?.endsWith(' (deleted)') ?? false;
        return {
          pid: Number(e.name),
          ppid: st.ppid,
          uid: e.stat.uid,
          comm: st.comm,
          argv,
          cmdline: argv.join(' '),
          exe: deleted ? exe!.slice(0, -' (deleted)'.length) : exe,
          exeDeleted: deleted,
          cwd,
          startTime: btime !== undefined ? new Date((btime + st.startTicks / CLK_TCK) * 1000).toISOString() : undefined,
          netns,
          pidns,
          kernelThread,
        };
      }),
    ),
  );
  return procs.filter((p): p is ProcessInfo => p !== null);
}
