import { listProcesses } from '../host/proc.js';
import { NotAvailable, TargetError, type FileStat } from '../host/target.js';
import { defaultPolicy } from '../core/policy.js';
import { runScan } from '../scan/engine.js';
import { checkAlive, type CollectContext } from './context.js';

/** Process bodies are capped on their own: a suspicious binary is small, a JVM is not. */
const EXE_MAX = 256 * 1024 * 1024;
const FILES = ['cmdline', 'environ', 'maps', 'status'] as const;

/**
 * /proc/PID/exe is a magic link to the (possibly deleted) inode: opening it with O_NOFOLLOW, as the
 * Target's readers do for safety, fails with ELOOP. `cat` opens it the way the kernel means, and
 * runs through the Target (sudo over ssh) like every other command.
 */
async function readExe(ctx: CollectContext, pid: number, max: number): Promise<Buffer> {
  try {
    return await ctx.target.readFile(`/proc/${pid}/exe`, { maxBytes: max });
  } catch (err) {
    if (!(err instanceof TargetError && err.code === 'ELOOP')) throw err;
  }
  const res = await ctx.target.exec(['cat', `/proc/${pid}/exe`], { privileged: true, maxBuffer: max, timeoutMs: 120_000 });
  if (res.code !== 0 && res.stdout.length < max) throw new TargetError('IO', `/proc/${pid}/exe: ${res.stderr.toString('utf8').trim() || `cat exited ${res.code}`}`);
  return res.stdout;
}

/** Bytes of process bodies held at once while they are fetched side by side (one larger body is fetched alone). */
const EXE_INFLIGHT = 64 * 1024 * 1024;

type Body = ({ st: FileStat | null; exe: Buffer; link: string } | { err: unknown }) & { held: number };

/** Bytes in flight, given back as they are stored; a request larger than the whole waits until nothing else is held. */
export class ByteBudget {
  private used = 0;
  private readonly waiting: { n: number; go: () => void }[] = [];

  constructor(private readonly limit: number) {}

  /** Waits its turn (first come, first served) until `n` bytes fit. */
  take(n: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(n)) {
      this.used += n;
      return Promise.resolve();
    }
    return new Promise((go) => this.waiting.push({ n, go }));
  }

  give(n: number): void {
    this.used -= n;
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.n)) {
      const w = this.waiting.shift()!;
      this.used += w.n;
      w.go();
    }
  }

  private fits(n: number): boolean {
    return this.used === 0 || this.used + n <= this.limit;
  }
}

type BodyMeta = { stat: Promise<{ st: FileStat | null } | { err: unknown }>; link: Promise<string> };

/** The stat and link target of each pid's body, asked once, as soon as the pid is known. */
function bodyMeta(ctx: CollectContext): (pid: number) => BodyMeta {
  const asked = new Map<number, BodyMeta>();
  return (pid) => {
    let m = asked.get(pid);
    if (!m) {
      const path = `/proc/${pid}/exe`;
      // settled at once (never a rejection left waiting for its turn)
      m = {
        stat: ctx.target.stat(path).then(
          (st) => ({ st }),
          (err: unknown) => ({ err }),
        ),
        link: ctx.target.readlink(path).catch(() => '?'),
      };
      asked.set(pid, m);
    }
    return m;
  };
}

/**
 * The body of each pid, fetched side by side: the stat and the link target at once, the content once
 * admitted within the budget, in pid order (a later pid never takes the room an earlier one waits
 * for, so storing them in order always frees what the next needs). Each result says how many bytes
 * it holds; the caller gives them back once stored.
 */
function fetchBodies(ctx: CollectContext, pids: number[], budget: ByteBudget, max: number, meta: (pid: number) => BodyMeta): Promise<Body>[] {
  let turn: Promise<unknown> = Promise.resolve();
  return pids.map((pid) => {
    const { stat, link } = meta(pid);
    const before = turn;
    const admitted = (async () => {
      await before;
      const s = await stat;
      if ('err' in s) throw s.err;
      const st = s.st;
      const held = st ? Math.min(st.size, max) : max;
      await budget.take(held);
      return { st, held };
    })();
    turn = admitted.catch(() => {});
    return admitted.then(
      async ({ st, held }): Promise<Body> => {
        try {
          return { st, exe: await readExe(ctx, pid, max), link: await link, held };
        } catch (err) {
          return { err, held };
        }
      },
      (err: unknown): Body => ({ err, held: 0 }),
    );
  });
}

/**
 * The one reason to read /proc: a process whose executable was deleted, or that persistence-scan's
 * process detector flags, lives only in memory. Its body (/proc/PID/exe), command line, environment
 * (redacted), maps and status go under proc/<pid>/ before isolation or a reboot destroys them.
 */
export async function collectProcessBodies(ctx: CollectContext, beside?: () => Promise<unknown>): Promise<number> {
  const { target, writer } = ctx;
  const reasons = new Map<number, string[]>();
  const meta = bodyMeta(ctx);
  const add = (pid: number, why: string) => reasons.set(pid, [...(reasons.get(pid) ?? []), why]);
  try {
    for (const p of await listProcesses(target)) if (p.exeDeleted && p.pid !== process.pid) add(p.pid, `executable deleted (${p.exe ?? '?'})`);
    // their bodies' metadata asked now, during the scan below (over ssh it opens the sftp session)
    for (const pid of reasons.keys()) meta(pid);
  } catch (err) {
    if (err instanceof NotAvailable) return 0;
    writer.notRead('/proc', err, 'process list not read: ');
  }
  try {
    const scan = await runScan(target, defaultPolicy(), { only: ['processes'] });
    for (const f of scan.findings) if (f.pid !== undefined && f.pid !== process.pid) add(f.pid, `persistence-scan ${f.rule}: ${f.title}`);
  } catch (err) {
    writer.note(`persistence-scan processes detector not run: ${(err as Error).message}`);
  }
  const order = [...reasons].sort((a, b) => a[0] - b[0]);
  // the small files of every such process asked at once: over ssh one follow-up batch for all of them
  // (host/batch/), the loop below then reads them from it in order
  const small = target.reading?.().mode === 'batch' ? Promise.all(order.flatMap(([pid]) => FILES.map((f) => target.readFile(`/proc/${pid}/${f}`, { maxBytes: 16 * 1024 * 1024 }).catch(() => null)))) : Promise.resolve();
  // the bodies (magic links: the host reads them) fetched side by side, each a few round trips over
  // ssh, within EXE_INFLIGHT bytes held at once; stored one by one in pid order
  const budget = new ByteBudget(EXE_INFLIGHT);
  const max = Math.min(ctx.maxFileSize, EXE_MAX);
  const bodies = fetchBodies(ctx, order.map(([pid]) => pid), budget, max, meta);
  await small;
  // what the caller wants done meanwhile (collect: the Docker engine's answers, a batch of their own);
  // the bodies' reads never go through the snapshot, so nothing else merges into it
  await beside?.().catch(() => {});
  for (const [i, [pid, why]] of order.entries()) {
    const dir = `proc/${pid}`;
    writer.note(`${dir}: collected because ${why.join('; ')}`);
    ctx.tick(`/proc/${pid}/exe`);
    const body = await bodies[i]!;
    try {
      if ('err' in body) throw body.err;
      const { st, exe, link } = body;
      await writer.addBuffer(`${dir}/exe`, exe, { mode: st?.mode ?? 0o755, uid: st?.uid, gid: st?.gid, mtime: st?.mtime, source: `/proc/${pid}/exe -> ${link}`, notes: why, ...(st && st.size > exe.length ? { truncatedFrom: st.size } : {}) });
    } catch (err) {
      await checkAlive(ctx, err);
      writer.notRead(`/proc/${pid}/exe`, err);
    } finally {
      budget.give(body.held);
    }
    for (const f of FILES) {
      try {
        let buf = await target.readFile(`/proc/${pid}/${f}`, { maxBytes: 16 * 1024 * 1024 });
        const notes: string[] = [];
        if (f === 'environ') {
          const r = ctx.redactor.envList(buf.toString('utf8').split('\0'));
          if (r.count) {
            buf = Buffer.from(r.entries.join('\0'));
            notes.push(`${r.count} secret value(s) redacted`);
            writer.note(`${dir}/environ: ${r.count} secret value(s) redacted`);
          }
        }
        await writer.addBuffer(`${dir}/${f}`, buf, { mode: 0o444, source: `/proc/${pid}/${f}`, notes });
      } catch (err) {
        await checkAlive(ctx, err);
        writer.notRead(`/proc/${pid}/${f}`, err);
      }
    }
  }
  return reasons.size;
}
