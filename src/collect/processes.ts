import { listProcesses } from '../host/proc.js';
import { NotAvailable, TargetError } from '../host/target.js';
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

/**
 * The one reason to read /proc: a process whose executable was deleted, or that persistence-scan's
 * process detector flags, lives only in memory. Its body (/proc/PID/exe), command line, environment
 * (redacted), maps and status go under proc/<pid>/ before isolation or a reboot destroys them.
 */
export async function collectProcessBodies(ctx: CollectContext): Promise<number> {
  const { target, writer } = ctx;
  const reasons = new Map<number, string[]>();
  const add = (pid: number, why: string) => reasons.set(pid, [...(reasons.get(pid) ?? []), why]);
  try {
    for (const p of await listProcesses(target)) if (p.exeDeleted && p.pid !== process.pid) add(p.pid, `executable deleted (${p.exe ?? '?'})`);
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
  // the small files of every such process asked at once: over ssh one follow-up batch for all of them
  // (host/batch/), the loop below then reads them from it in order
  if (target.reading?.().mode === 'batch') await Promise.all([...reasons.keys()].flatMap((pid) => FILES.map((f) => target.readFile(`/proc/${pid}/${f}`, { maxBytes: 16 * 1024 * 1024 }).catch(() => null))));
  for (const [pid, why] of [...reasons].sort((a, b) => a[0] - b[0])) {
    const dir = `proc/${pid}`;
    writer.note(`${dir}: collected because ${why.join('; ')}`);
    ctx.tick(`/proc/${pid}/exe`);
    try {
      const st = await target.stat(`/proc/${pid}/exe`);
      const exe = await readExe(ctx, pid, Math.min(ctx.maxFileSize, EXE_MAX));
      const link = await target.readlink(`/proc/${pid}/exe`).catch(() => '?');
      await writer.addBuffer(`${dir}/exe`, exe, { mode: st?.mode ?? 0o755, uid: st?.uid, gid: st?.gid, mtime: st?.mtime, source: `/proc/${pid}/exe -> ${link}`, notes: why, ...(st && st.size > exe.length ? { truncatedFrom: st.size } : {}) });
    } catch (err) {
      await checkAlive(ctx, err);
      writer.notRead(`/proc/${pid}/exe`, err);
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
