import type { DeclaredInputs, DirEntry, FileStat, PrefetchOptions } from '../host/target.js';
import type { CollectionItem } from './item.js';
import { bodyfileLine } from './bodyfile.js';
import { checkAlive, CollectAborted, fsPath, type CollectContext } from './context.js';

/** Pseudo file systems are never walked; /dev/shm is a tmpfs where attackers drop tools, so it is. */
export function neverWalk(path: string): boolean {
  if (path === '/dev/shm' || path.startsWith('/dev/shm/')) return false;
  return /^\/(proc|sys|dev)(\/|$)/.test(path);
}

/** Contents larger than this come one by one (pipelined sftp), not through the batch's spool. */
const BATCH_FILE_MAX = 8 * 1024 * 1024;

/**
 * What a collection reads, declared for one batch (host/batch/): the items' paths as whole trees,
 * their home paths, the kernel files, the commands, --include, and the process list the process
 * bodies need: read once, early, in the same stream as the commands (volatile first).
 */
export function collectInputs(items: CollectionItem[], o: { include: string[]; includeShadow: boolean }, bodyfileRoots: string[]): DeclaredInputs {
  // a path is stored with everything under it
  const tree = (p: string) => `${p} ${p}/**`;
  const paths: string[] = ['/etc/passwd', '/proc/stat', '/proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid,cgroup}', '/proc/PID/{environ,maps,status}', ...bodyfileRoots.map((r) => `${r} (lstat)`)];
  const commands: string[][] = [];
  for (const i of items) {
    if (i.kind === 'paths' && !(i.needs === 'shadow' && !o.includeShadow)) paths.push(...i.paths.filter((p) => !neverWalk(p)).map(tree));
    else if (i.kind === 'home') paths.push(...i.relPaths.map((r) => tree(`~/${r}`)));
    else if (i.kind === 'kernel') paths.push(...i.paths);
    else if (i.kind === 'command') commands.push(i.argv);
  }
  paths.push(...o.include.map((p) => (p.startsWith('/') ? p : `/${p}`)).filter((p) => !neverWalk(p)).map(tree));
  return { paths, commands };
}

/** How a collection's batch runs: its spool beside the archive (it can be large), within --max-total. */
export function collectBatchOptions(o: { outDir: string; maxFileSize: number; maxTotal: number }): PrefetchOptions {
  return {
    maxFileBytes: Math.min(o.maxFileSize, BATCH_FILE_MAX),
    maxBatchBytes: Number.isFinite(o.maxTotal) ? o.maxTotal + 64 * 1024 * 1024 : 4 * 1024 ** 3,
    spoolDir: o.outDir,
    commandTimeoutMs: 60_000,
  };
}

/** Stores one host path: a file streamed and hashed, a link as a link, a directory walked (links never followed). */
export async function collectPath(ctx: CollectContext, path: string, known?: FileStat): Promise<void> {
  if (ctx.excluded(path)) return;
  if (neverWalk(path)) {
    ctx.writer.note(`${path}: pseudo file system, not walked`);
    return;
  }
  let st: FileStat | null | undefined = known;
  if (!st) {
    try {
      st = await ctx.target.lstat(path);
    } catch (err) {
      await checkAlive(ctx, err);
      ctx.writer.notRead(path, err);
      return;
    }
    if (!st) return; // absent: most items list paths that only some hosts have
  }
  // an explicit path and a walk can meet; a path is stored once
  if (ctx.stored.has(path)) return;
  ctx.stored.add(path);
  // a stack instead of recursion: deep trees cannot overflow it, and links are never entered
  const stack: { path: string; stat: FileStat }[] = [{ path, stat: st }];
  while (stack.length > 0) {
    const { path: p, stat } = stack.pop() as { path: string; stat: FileStat };
    if (p !== path && (ctx.excluded(p) || ctx.stored.has(p))) continue;
    ctx.stored.add(p);
    if (stat.type === 'dir') {
      ctx.body.set(p, bodyfileLine(p, stat));
      if (p !== path && neverWalk(p)) continue;
      let entries: DirEntry[];
      try {
        entries = await ctx.target.list(p);
      } catch (err) {
        await checkAlive(ctx, err);
        ctx.writer.notRead(p, err, 'directory not listed: ');
        continue;
      }
      for (const e of entries.reverse()) stack.push({ path: e.path, stat: e.stat });
      continue;
    }
    await storeOne(ctx, p, stat);
  }
}

async function storeOne(ctx: CollectContext, p: string, stat: FileStat): Promise<void> {
  const meta = { mode: stat.mode, uid: stat.uid, gid: stat.gid, mtime: stat.mtime, source: p, readBy: ctx.target.readBy?.(p) };
  if (stat.type === 'symlink') {
    let target = '';
    try {
      target = await ctx.target.readlink(p);
    } catch (err) {
      await checkAlive(ctx, err);
      ctx.writer.notRead(p, err, 'symlink not read: ');
      return;
    }
    ctx.body.set(p, bodyfileLine(p, stat, target));
    await ctx.writer.addSymlink(fsPath(p), target, meta);
    return;
  }
  ctx.body.set(p, bodyfileLine(p, stat));
  if (stat.type !== 'file') {
    // opening a FIFO blocks, a device reads forever or has side effects, a socket cannot be read
    ctx.writer.note(`${p}: ${stat.type === 'char' || stat.type === 'block' ? `${stat.type} device` : stat.type}, recorded in the bodyfile, not read`);
    return;
  }
  if (ctx.budget <= 0) {
    ctx.writer.skip(p, `--max-total reached (${stat.size} bytes not stored)`);
    return;
  }
  const size = Math.min(stat.size, ctx.maxFileSize, ctx.budget);
  const truncatedFrom = size < stat.size ? stat.size : undefined;
  let stream: NodeJS.ReadableStream;
  try {
    // a capped file is read to the cap only; an uncapped one to one byte past its size at open, so
    // growth is seen and marked, and the target sizes its read buffers to the file: an open-ended read
    // allocated a 1 MiB buffer per read, 2,000 small files meant GBs of garbage and a GC every few files
    stream = await ctx.target.openRead(p, truncatedFrom !== undefined && size > 0 ? { start: 0, end: size - 1 } : { start: 0, end: size });
  } catch (err) {
    await checkAlive(ctx, err);
    ctx.writer.notRead(p, err);
    return;
  }
  if (truncatedFrom !== undefined) ctx.writer.note(`${p}: ${truncatedFrom} bytes, stored the first ${size} (${size === ctx.maxFileSize ? '--max-file-size' : '--max-total'})`);
  ctx.budget -= size;
  ctx.tick(p);
  try {
    await ctx.writer.addStream(fsPath(p), stream, { ...meta, size, ...(truncatedFrom !== undefined ? { truncatedFrom } : {}) });
  } catch (err) {
    // the writer closes the stream itself, except when it refused the entry before reading (aborted)
    (stream as { destroy?: () => void }).destroy?.();
    if (err instanceof CollectAborted) throw err;
    // the writer recorded the entry zero-filled with the error
    await checkAlive(ctx, err);
  }
}
