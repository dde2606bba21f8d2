import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { finished, pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { EvidenceWriter, type SpooledCommand } from '../evidence/writer.js';
import { DEFAULT_MAX_BUFFER, execLocal, STDERR_KEEP } from '../host/exec.js';
import type { Target } from '../host/target.js';
import { NotAvailable, TargetError, readTextOrNull } from '../host/target.js';
import { UserError } from '../core/errors.js';
import { utcNow } from '../core/time.js';
import { stepSignal } from '../core/step.js';
import { parsePasswd } from '../host/facts/passwd.js';
import { BodyfileFilter, bodyfileLine, bodyfileName, FIND_PRINTF, FindToBodyfile } from './bodyfile.js';
import { checkAlive, CollectAborted, type CollectContext } from './context.js';
import { askDocker, collectDocker, dockerQueries, type DockerAnswers } from './docker.js';
import { collectBatchOptions, collectInputs, collectPath, neverWalk } from './files.js';
import type { CommandItem, KernelFileItem } from './item.js';
import { globMatcher } from './options.js';
import { collectProcessBodies } from './processes.js';
import { Redactor } from './redact.js';
import type { CollectionProfile } from './profiles.js';
import { BODYFILE_ROOTS } from './registry.js';

export interface CollectOptions {
  /** the profile's items (profiles/*.yaml, collect/profiles.ts) */
  profile: CollectionProfile;
  include: string[];
  exclude: string[];
  since?: Date;
  project?: string;
  includeShadow: boolean;
  includeSecrets: boolean;
  maxFileSize: number;
  maxTotal: number;
  /** containers' writable layers: per file and per container (--layer-max-file-size, --layer-max-total) */
  layerLimits?: import('../docker/layer-evidence.js').LayerLimits;
  outDir: string;
  argv: string[];
  toolVersion: string;
  onProgress?: (p: { files: number; bytes: number; written: number; current: string }) => void;
  /** called once the archive is open, so a signal handler can abort it */
  onStart?: (w: EvidenceWriter) => void;
}

export const CollectResult = z.object({
  path: z.string(),
  sha256: z.string(),
  host: z.string(),
  target: z.enum(['local', 'ssh', 'image']),
  /** the profile's name (profiles/NAME.yaml, or the name a user's profile file gives itself) */
  profile: z.string(),
  files: z.number().int(),
  bytes: z.number().int(),
  /** compressed size of the archive */
  archiveBytes: z.number().int(),
  /** items left out by design (FIFOs, devices, limits, tools not installed), each named in acquisition.log and manifest.json */
  skipped: z.number().int(),
  /** items that exist but could not be read, or reads that failed part way: the evidence is incomplete (exit 2) */
  failed: z.number().int(),
  processes: z.number().int(),
  containers: z.number().int(),
  startedAt: z.string(),
  endedAt: z.string(),
});
export type CollectResult = z.infer<typeof CollectResult>;

/**
 * One live command into `live/<out>`: buffered (the Target's cap, a cut noted), or with `spool` streamed
 * through the writer's spool files and cut at `spool.max` (a journal can be larger than memory).
 */
async function runCommand(ctx: CollectContext, item: Pick<CommandItem, 'argv' | 'out' | 'optional' | 'timeoutMs'>, spool?: { max: number; why: string }): Promise<Buffer | null> {
  const path = `live/${item.out}`;
  const opts = { privileged: true, timeoutMs: item.timeoutMs ?? 60_000 };
  try {
    const res = spool
      ? await ctx.writer.addCommandSpooled(path, (s) => ctx.target.exec(item.argv, { ...opts, maxBuffer: spool.max, stdoutTo: s.stdout, stderrTo: s.stderr }))
      : await ctx.target.exec(item.argv, opts);
    if (!spool) await ctx.writer.addCommand(path, res);
    if (res.timedOut) ctx.writer.note(`${path}: ${item.argv[0]} timed out, output kept as far as it got`);
    const kept = res.stdoutBytes ?? res.stdout.length;
    if (kept >= (spool?.max ?? DEFAULT_MAX_BUFFER)) ctx.writer.note(`${path}: cut at ${kept} bytes${spool ? ` ${spool.why}` : ''}`);
    return spool ? null : res.stdout;
  } catch (err) {
    if (err instanceof TargetError && err.code === 'ENOENT') {
      if (item.optional) ctx.writer.note(`${item.argv[0]}: not installed on ${ctx.target.name}`);
      else ctx.writer.skip(path, `${item.argv[0]}: not installed`);
      return null;
    }
    await checkAlive(ctx, err);
    ctx.writer.notRead(path, err);
    return null;
  }
}

async function collectLive(ctx: CollectContext, commands: CommandItem[], kernel: KernelFileItem[]): Promise<void> {
  for (const c of commands) {
    ctx.tick(c.argv.join(' '));
    const out = await runCommand(ctx, c);
    if (c.argv[0] === 'fail2ban-client' && out) {
      const jails = /Jail list:\s*(.*)/.exec(out.toString('utf8'))?.[1]?.split(/[,\s]+/).filter(Boolean) ?? [];
      for (const j of jails) await runCommand(ctx, { argv: ['fail2ban-client', 'status', j], out: `fail2ban-status-${j.replace(/[^A-Za-z0-9._-]/g, '_')}.txt` });
    }
  }
  // `journalctl -o export`, streamed like docker logs, cut at --max-file-size
  const since = ctx.since ? ['--since', ctx.since.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')] : [];
  const journal = ['journalctl', '--no-pager', '--utc', '-o', 'export', ...since];
  ctx.tick(journal.join(' '));
  await runCommand(ctx, { argv: journal, out: 'journal.export', optional: true, timeoutMs: 600_000 }, { max: ctx.maxFileSize, why: '(--max-file-size); narrow --since' });
  for (const k of kernel) {
    for (const p of k.paths) {
      try {
        const buf = await ctx.target.readFile(p, { maxBytes: 64 * 1024 * 1024 });
        await ctx.writer.addBuffer(`live${p}`, buf, { source: p, mode: 0o444 });
      } catch (err) {
        if (err instanceof TargetError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) continue;
        await checkAlive(ctx, err);
        ctx.writer.notRead(p, err);
      }
    }
  }
}

/** Homes of every account in /etc/passwd, and /root. */
async function homes(t: Target): Promise<string[]> {
  const text = await readTextOrNull(t, '/etc/passwd').catch(() => null);
  const dirs = new Set<string>(['/root']);
  for (const a of parsePasswd(text ?? '')) if (a.home.startsWith('/') && a.home !== '/' && !neverWalk(a.home)) dirs.add(a.home);
  return [...dirs].sort();
}

/** Writes `text` to `out`, waiting when it is full. */
async function put(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (text && !out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
}

/**
 * Per walked path: dropped with what is under it (excluded, pseudo fs), skipped (already a line, with
 * `own`), or kept.
 */
function bodyfileKeep(ctx: CollectContext, own = true): (path: string) => 'keep' | 'skip' | 'prune' {
  return (path) => {
    if (ctx.excluded(path) || (path !== '/dev/shm' && neverWalk(path))) return 'prune';
    return own && ctx.body.has(path) ? 'skip' : 'keep';
  };
}

/** One `find -printf` of the bodyfile's roots, its bodyfile lines spooled while the collection goes on. */
interface ListingRun {
  root?: string;
  spool?: SpooledCommand;
  /** find's records parsed (kept or not) */
  records: number;
  error?: unknown;
}

/**
 * Starts the bodyfile's listing: the roots through GNU `find -printf`, as UAC does, parsed into bodyfile
 * lines as they stream and spooled beside the archive while the collection goes on (over a far link its
 * seconds of work on the host overlap the round trips; its times are from before most files were read).
 * On a host (local, ssh) one find for all roots; under an offline image one per root, run here on the
 * root's place in the image (links in its parents resolved inside the image), each path mapped back to
 * the image's own. Never rejects: what failed waits in the run for writeListing. `signal` stops it.
 */
async function startListing(ctx: CollectContext, signal: AbortSignal): Promise<ListingRun[]> {
  const roots: string[] = [];
  for (const r of BODYFILE_ROOTS) if (await ctx.target.lstat(r).catch(() => null)) roots.push(r);
  if (roots.length === 0) return [];
  // a target whose files lie on this machine under another name (an image): find runs here, per root
  const t = ctx.target;
  const image = t.localPath && t.targetPathOf && (await t.localPath('/')) !== '/' ? { localPath: t.localPath.bind(t) } : null;
  // what is excluded is known now; the paths the collection writes its own lines for are left out at the end
  const keep = bodyfileKeep(ctx, false);
  const runs: ListingRun[] = [];
  for (const group of image ? roots.map((r) => [r]) : [roots]) {
    const run: ListingRun = { records: 0, ...(image ? { root: group[0] } : {}) };
    runs.push(run);
    try {
      const place = image ? await image.localPath(group[0]!) : undefined;
      const argv = ['find', '-P', ...(place ? [place] : group), '-printf', FIND_PRINTF];
      run.spool = await ctx.writer.spoolCommand(async (s) => {
        const parser = new FindToBodyfile(s.stdout, keep, place ? (p) => group[0]! + p.slice(place.length) : undefined);
        const opts = { privileged: true, timeoutMs: 3_600_000, maxBuffer: Infinity, stdoutTo: parser, stderrTo: s.stderr, signal };
        try {
          return await (image ? execLocal(argv, opts) : ctx.target.exec(argv, opts));
        } finally {
          parser.end();
          await finished(parser).catch(() => {});
          run.records = parser.records;
        }
      });
    } catch (err) {
      run.error = err;
      break;
    }
  }
  return runs;
}

/**
 * The listing's lines into `out`, but those of the paths the collection wrote its own lines for (each
 * path once). False when find is missing or not GNU (busybox), or failed at once: the caller walks instead.
 */
async function writeListing(ctx: CollectContext, listing: Promise<ListingRun[]>, out: NodeJS.WritableStream): Promise<boolean> {
  const runs = await listing;
  const own = new Set([...ctx.body.values()].map(bodyfileName));
  try {
    for (const [i, run] of runs.entries()) {
      if (run.error !== undefined) {
        if (i === 0 && run.error instanceof TargetError && run.error.code === 'ENOENT') return false;
        await checkAlive(ctx, run.error);
        throw run.error;
      }
      const { res } = run.spool!;
      const what = run.root ? `bodyfile: ${run.root}` : 'bodyfile';
      if (run.records === 0 && res.code !== 0) {
        if (i === 0) {
          ctx.writer.note(`${what}: find -printf failed (${firstLine(res.stderr) || `exit ${res.code}`}); walked instead`);
          return false;
        }
        ctx.writer.note(`${what}: find failed (${firstLine(res.stderr) || `exit ${res.code}`})`);
        continue;
      }
      await pipeline(run.spool!.stdout(), new BodyfileFilter(out, own));
      ctx.writer.note(`${what}: ${run.records} entries listed by find from ${res.startedAt} to ${res.endedAt}, beside the collection (a collected path's line is from when it was read)`);
      const errors = res.stderr.toString('utf8').split('\n').filter(Boolean);
      if (errors.length > 0) ctx.writer.note(`${what}: find reported ${errors.length}${res.stderr.length >= STDERR_KEEP ? '+' : ''} unreadable entries, first: ${errors[0]}`);
      if (res.timedOut) ctx.writer.note(`${what}: find timed out after ${run.records} entries`);
    }
    return true;
  } finally {
    for (const r of runs) await r.spool?.drop();
  }
}

const firstLine = (b: Buffer) => b.toString('utf8').trim().split('\n')[0] ?? '';

/** Listing only (lstat, never read), one directory at a time: where find is not GNU (busybox). */
async function walkForBodyfile(ctx: CollectContext, root: string, out: NodeJS.WritableStream): Promise<void> {
  const st = await ctx.target.lstat(root).catch(() => null);
  if (!st) return;
  const keep = bodyfileKeep(ctx);
  const stack = [{ path: root, stat: st }];
  let lines = '';
  while (stack.length > 0) {
    const { path, stat } = stack.pop() as (typeof stack)[number];
    const k = keep(path);
    if (k === 'prune') continue;
    if (k === 'keep') lines += bodyfileLine(path, stat);
    if (lines.length > 1 << 16) {
      await put(out, lines);
      lines = '';
    }
    if (stat.type !== 'dir') continue;
    try {
      for (const e of (await ctx.target.list(path)).reverse()) stack.push({ path: e.path, stat: e.stat });
    } catch (err) {
      await checkAlive(ctx, err);
      ctx.writer.note(`bodyfile: ${path} not listed: ${(err as Error).message}`);
    }
  }
  await put(out, lines);
}

/** The collected paths' lines, then every other entry under the roots: streamed, memory flat whatever the tree. */
async function writeBodyfile(ctx: CollectContext, listing: Promise<ListingRun[]>, out: NodeJS.WritableStream): Promise<void> {
  await put(out, [...ctx.body.keys()].sort().map((k) => ctx.body.get(k)).join(''));
  if (await writeListing(ctx, listing, out)) return;
  for (const r of BODYFILE_ROOTS) await walkForBodyfile(ctx, r, out);
}

/** One collection: live state first (most volatile), then process bodies, Docker, files, the bodyfile. */
export async function collect(target: Target, o: CollectOptions): Promise<CollectResult> {
  const startedAt = utcNow();
  const writer = await EvidenceWriter.create({ dir: o.outDir, host: target.name, argv: o.argv, toolVersion: o.toolVersion });
  o.onStart?.(writer);
  const outReal = (() => {
    try {
      return realpathSync(resolve(o.outDir));
    } catch {
      return resolve(o.outDir);
    }
  })();
  const userExcluded = globMatcher(o.exclude);
  // the archive being written is never collected into itself
  const outOnTarget = target.targetPathOf?.(outReal) ?? null;
  const excluded = (p: string) => userExcluded(p) || (outOnTarget !== null && (p === outOnTarget || p.startsWith(`${outOnTarget}/`)));
  let current = '';
  const ctx: CollectContext = {
    target,
    writer,
    redactor: new Redactor(!o.includeSecrets),
    maxFileSize: o.maxFileSize,
    budget: o.maxTotal,
    excluded,
    stored: new Set(),
    body: new Map(),
    since: o.since,
    tick(what) {
      current = what;
      o.onProgress?.({ files: writer.files, bytes: writer.bytes, written: writer.written, current });
    },
  };
  const items = o.profile.items;
  let processes = 0;
  let containers = 0;
  const stopListing = new AbortController();
  const step = stepSignal();
  let listing: Promise<ListingRun[]> | undefined;
  try {
    writer.note(`target: ${target.kind} ${target.name}; profile ${o.profile.name} (${o.profile.file}); max file size ${o.maxFileSize}; max total ${Number.isFinite(o.maxTotal) ? o.maxTotal : 'none'}${o.since ? `; since ${o.since.toISOString()}` : ''}`);
    if (!o.includeSecrets) writer.note('secrets: .env values and secret-named variables redacted (--include-secrets keeps them)');
    // over ssh: everything the items declare in one batch (host/batch/), then served from its spool;
    // the engine's first answers (docker ps, info, version) come in it too, after the live commands
    const inputs = collectInputs(items, o, BODYFILE_ROOTS);
    ctx.target = (await target.prefetch?.({ ...inputs, commands: [...(inputs.commands ?? []), ...dockerQueries()] }, collectBatchOptions(o))) ?? target;
    if (ctx.target.reading) writer.note(ctx.target.reading().note);
    // the bodyfile's listing runs from now on, beside everything else (read into the bodyfile at the end)
    listing = startListing(ctx, step ? AbortSignal.any([stopListing.signal, step]) : stopListing.signal).catch((error: unknown) => [{ records: 0, error }]);
    const commands = items.filter((i): i is CommandItem => i.kind === 'command');
    const kernel = items.filter((i): i is KernelFileItem => i.kind === 'kernel');
    let docker: Promise<DockerAnswers | null> | undefined;
    if (target.live) {
      await collectLive(ctx, commands, kernel);
      // the Docker engine is asked while the process bodies are read (over ssh, each a few round trips)
      processes = await collectProcessBodies(ctx, () => (docker = askDocker(ctx, { project: o.project, since: o.since })));
    } else writer.note('live state, process bodies and journalctl: not available on an offline image');
    containers = await collectDocker(ctx, { project: o.project, includeSecrets: o.includeSecrets, since: o.since, layerLimits: o.layerLimits }, docker);
    for (const item of items) {
      if (item.kind === 'paths') {
        if (item.needs === 'shadow' && !o.includeShadow) {
          writer.note(`${item.paths.join(', ')}: not collected (--include-shadow)`);
          continue;
        }
        for (const p of item.paths) await collectPath(ctx, p);
      } else if (item.kind === 'home') {
        for (const h of await homes(ctx.target)) for (const rel of item.relPaths) await collectPath(ctx, `${h}/${rel}`);
      }
    }
    for (const p of o.include) await collectPath(ctx, p.startsWith('/') ? p : `/${p}`);
    ctx.tick('bodyfile');
    await writer.addSpooled('bodyfile.txt', (out) => writeBodyfile(ctx, listing!, out), { source: `lstat of ${BODYFILE_ROOTS.join(' ')} and the collected paths (mactime -b bodyfile.txt)`, mode: 0o644 });
    const res = await writer.finish();
    if (ctx.target !== target) await ctx.target.close();
    return {
      path: res.path,
      sha256: res.sha256,
      host: target.name,
      target: target.kind,
      profile: o.profile.name,
      files: res.files,
      bytes: res.bytes,
      archiveBytes: writer.written,
      skipped: res.skipped,
      failed: res.failed,
      processes,
      containers,
      startedAt,
      endedAt: utcNow(),
    };
  } catch (err) {
    const far = `${writer.files} entries, ${writer.bytes} bytes so far${current ? `, at ${current}` : ''}`;
    const written = writer.written;
    // a listing still running is stopped (TERM, then KILL a second later), and its spools go with the
    // archive; over a connection that died its channel never closes, so it is not waited for long
    stopListing.abort(new Error('the collection failed'));
    await Promise.race([listing, new Promise((r) => setTimeout(r, 1500).unref())]);
    await writer.abort();
    // a full disk surfaces wherever the next write happens (a file's stream, a command output, the
    // manifest at the end): whatever the path, one line that says so
    const full = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
    if (full(err) || full(writer.failure)) throw new UserError(`no space left on device in ${o.outDir} after ${written} bytes of archive (${far}); ${writer.partialPath} removed, no evidence written`);
    if (err instanceof CollectAborted) throw new UserError(`${err.message} (${far}); ${writer.partialPath} removed, no evidence written`);
    if (err instanceof NotAvailable) throw err;
    throw err;
  }
}
