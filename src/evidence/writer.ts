import { createHash } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { Writable } from 'node:stream';
import { hostname, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { TargetError, type ExecResult } from '../host/target.js';
import { UserError } from '../core/errors.js';
import { compactUtc, isoFromEpochSeconds, utcNow } from '../core/time.js';
import { MemberGzipSink } from './gzip-members.js';
import { HASHES_NAME, LOG_NAME, MANIFEST_FORMAT, MANIFEST_NAME, RESERVED, sha256sumLine, type Manifest, type ManifestEntry, type SkippedItem } from './manifest.js';
import { END_OF_ARCHIVE, encodeHeader, padding, type TarHeader } from './tar.js';

export interface EntryMeta {
  mode?: number;
  uid?: number;
  gid?: number;
  /** epoch seconds */
  mtime?: number;
  /** host path or command it came from */
  source: string;
  /** the original size when the caller capped what it stores (--max-file-size, --max-total) */
  truncatedFrom?: number;
  /** remarks kept with the entry in the manifest (e.g. "3 secrets redacted") */
  notes?: string[];
  /** how the bytes were read on the host (manifest `readBy`) */
  readBy?: string;
}

export interface EvidenceWriterOptions {
  dir: string;
  host: string;
  /** default ir-<host>-<YYYYMMDDTHHMMSSZ>.tar.gz */
  name?: string;
  argv: string[];
  toolVersion: string;
  operator?: string;
  /** gzip level, 6 as `gzip` and `tar czf` use */
  level?: number;
}

export interface EvidenceSummary {
  path: string;
  sha256: string;
  files: number;
  bytes: number;
  /** items left out by design (FIFOs, devices, limits, tools not installed) */
  skipped: number;
  /** items that exist but could not be read, and reads that failed part way: the evidence is incomplete */
  failed: number;
}

const ZEROS = Buffer.alloc(1 << 16);

function defaultOperator(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}@${hostname()}`;
  }
}

/** A host name safe for a file name. */
export function safeHostName(host: string): string {
  return host.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '') || 'host';
}

/** The manifest's record of a command and its entry's metadata. */
function commandEntry(res: ExecResult): { command: NonNullable<ManifestEntry['command']>; meta: EntryMeta } {
  const command = {
    argv: res.argv,
    startedAt: res.startedAt,
    endedAt: res.endedAt,
    code: res.code,
    ...(res.signal ? { signal: res.signal } : {}),
    ...(res.timedOut ? { timedOut: true } : {}),
  };
  return { command, meta: { source: res.argv.join(' '), mtime: Date.parse(res.endedAt) / 1000, mode: 0o644 } };
}

/**
 * A stream into a spool file that leaves the file open, for it to be read back and closed by its owner
 * (a FileHandle's own write stream keeps a hold on it until destroyed, which closes it).
 */
function spoolStream(fh: fsp.FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      fh.write(chunk).then(() => cb(), cb);
    },
    writev(chunks, cb) {
      fh.writev(chunks.map((c) => c.chunk as Buffer)).then(() => cb(), cb);
    },
  });
}

/** Ends a spool's stream and waits until all it was given is written (or fails: a full disk). */
function flushed(ws: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ws.errored) return reject(ws.errored);
    ws.once('error', reject);
    ws.end(() => {
      ws.off('error', reject);
      resolve();
    });
  });
}

/** A command's output waiting in its spool files (EvidenceWriter.spoolCommand). */
export interface SpooledCommand {
  res: ExecResult;
  /** adds stdout at `path` and stderr at `stderrPath` (default `path.stderr`), then removes the spools */
  store(path: string, stderrPath?: string): Promise<void>;
  /** removes the spools without storing them */
  drop(): Promise<void>;
  /** its stdout as it was spooled, for a caller that stores something made from it (the bodyfile) */
  stdout(): NodeJS.ReadableStream;
}

/**
 * Writes one evidence archive in one pass: every entry is hashed while it streams into the tar,
 * the tar is compressed as independent gzip members in parallel (see gzip-members.ts), and the
 * compressed file is hashed as it is written. No temporary copy of the evidence set (a command output
 * too large to hold is spooled: addCommandSpooled, or spoolCommand for a few side by side), memory
 * bounded by a few MiB.
 * The archive is `<name>.partial` until finish() has fsynced it and renamed it, so a killed run
 * never leaves a file under the final name.
 */
export class EvidenceWriter {
  readonly path: string;
  readonly partialPath: string;
  /** the temporary files: the stdout and stderr of one command too large to hold, spooled before they are stored */
  private readonly spoolPath: string;
  /** spools open now (their names already removed), closed by whoever stores them or by an abort */
  private readonly spools = new Set<fsp.FileHandle>();
  private spoolSeq = 0;
  private readonly entries: ManifestEntry[] = [];
  private readonly skipped: SkippedItem[] = [];
  private readonly log: string[] = [];
  private readonly names = new Set<string>();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly startedAt = utcNow();
  private readonly operator: string;
  private failures = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  /** regular-file payload bytes stored so far (for progress) */
  bytes = 0;

  private constructor(
    private readonly fh: fsp.FileHandle,
    private readonly sink: MemberGzipSink,
    private readonly opts: EvidenceWriterOptions,
    name: string,
  ) {
    this.path = join(opts.dir, name);
    this.partialPath = `${this.path}.partial`;
    this.spoolPath = `${this.path}.spool`;
    this.operator = opts.operator ?? defaultOperator();
    this.note(`ir ${opts.toolVersion}: acquisition of ${opts.host} by ${this.operator}`);
    this.note(`argv: ${JSON.stringify(opts.argv)}`);
  }

  static async create(opts: EvidenceWriterOptions): Promise<EvidenceWriter> {
    const st = await fsp.stat(opts.dir).catch(() => null);
    if (!st) throw new UserError(`${opts.dir}: no such directory`, 'create it first or choose another --out');
    if (!st.isDirectory()) throw new UserError(`${opts.dir}: not a directory`);
    const name = opts.name ?? `ir-${safeHostName(opts.host)}-${compactUtc()}.tar.gz`;
    if (name.includes('/') || name.startsWith('.')) throw new UserError(`${name}: not a valid evidence file name`);
    const final = join(opts.dir, name);
    if (await fsp.lstat(final).catch(() => null)) throw new UserError(`${final} already exists; evidence is never overwritten`);
    let fh: fsp.FileHandle;
    try {
      // O_EXCL: two collections in the same second never share a .partial
      fh = await fsp.open(`${final}.partial`, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new UserError(`${final}.partial: ${e.code === 'EEXIST' ? 'already exists (another collection running?)' : e.code === 'EACCES' ? 'permission denied' : e.message}`);
    }
    return new EvidenceWriter(fh, new MemberGzipSink(fh, opts.level ?? 6), opts, name);
  }

  /** Entries stored so far (files, symlinks, command outputs). */
  get files(): number {
    return this.entries.length;
  }

  /** Compressed bytes written so far. */
  get written(): number {
    return this.sink.written;
  }

  /** Runs archive operations one at a time, in call order, whatever the caller awaits. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(() => {
      if (this.state !== 'open') throw new Error(`evidence writer is ${this.state}`);
      return fn();
    });
    this.lock = run.catch(() => {});
    return run;
  }

  /** Normalises an archive path: relative, no `.` or `..`, unique, never one of the writer's own names. */
  private entryPath(path: string, own = false): string {
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0 || parts.includes('..')) throw new Error(`invalid archive path: ${JSON.stringify(path)}`);
    let p = parts.join('/');
    if (RESERVED.has(p) && !own) p = `_${p}`;
    if (this.names.has(p)) {
      let i = 1;
      while (this.names.has(`${p}.${i}`)) i++;
      this.note(`${p}: stored twice, second copy as ${p}.${i}`);
      p = `${p}.${i}`;
    }
    this.names.add(p);
    return p;
  }

  private header(path: string, type: TarHeader['type'], size: number, meta: EntryMeta, linkTarget?: string): Buffer {
    return encodeHeader({
      path,
      type,
      size,
      mode: meta.mode ?? (type === 'symlink' ? 0o777 : 0o644),
      uid: meta.uid ?? 0,
      gid: meta.gid ?? 0,
      mtime: Math.floor(meta.mtime ?? Date.now() / 1000),
      linkTarget,
    });
  }

  private record(path: string, type: ManifestEntry['type'], size: number, meta: EntryMeta, extra: Partial<ManifestEntry>): void {
    this.entries.push({
      path,
      type,
      size,
      mtime: isoFromEpochSeconds(meta.mtime ?? Date.now() / 1000),
      mode: meta.mode ?? (type === 'symlink' ? 0o777 : 0o644),
      uid: meta.uid ?? 0,
      gid: meta.gid ?? 0,
      source: meta.source,
      ...(meta.readBy ? { readBy: meta.readBy } : {}),
      ...(meta.truncatedFrom !== undefined ? { truncatedFrom: meta.truncatedFrom } : {}),
      ...(meta.notes?.length ? { notes: meta.notes } : {}),
      ...extra,
    });
  }

  addBuffer(path: string, data: Buffer, meta: EntryMeta): Promise<void> {
    return this.serial(() => this.putBuffer(path, data, meta, {}));
  }

  private async putBuffer(path: string, data: Buffer, meta: EntryMeta, extra: Partial<ManifestEntry>, own = false): Promise<void> {
    const p = this.entryPath(path, own);
    await this.sink.write(this.header(p, 'file', data.length, meta));
    await this.sink.write(data);
    await this.sink.write(ZEROS.subarray(0, padding(data.length)));
    this.bytes += data.length;
    this.record(p, 'file', data.length, meta, { sha256: createHash('sha256').update(data).digest('hex'), ...extra });
  }

  /**
   * Stores exactly `meta.size` bytes of `stream`, hashing them on the way. A file that grows while
   * read is cut at its size at open and marked; one that shrinks (or fails mid-read) is zero-filled
   * to the size the tar header announced, marked, and the read error is rethrown after recording.
   */
  addStream(path: string, stream: NodeJS.ReadableStream, meta: EntryMeta & { size: number }, extraIn: Partial<ManifestEntry> = {}): Promise<void> {
    return this.serial(async () => {
      const p = this.entryPath(path);
      const size = meta.size;
      const hash = createHash('sha256');
      let got = 0;
      let grew = false;
      let readError: Error | undefined;
      try {
        await this.sink.write(this.header(p, 'file', size, meta));
        const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
        for (;;) {
          let r: IteratorResult<Buffer | string>;
          try {
            r = await it.next();
          } catch (err) {
            readError = err as Error;
            break;
          }
          if (r.done) break;
          const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
          const take = Math.min(chunk.length, size - got);
          if (take > 0) {
            const part = take === chunk.length ? chunk : chunk.subarray(0, take);
            hash.update(part);
            const w = this.sink.write(part);
            if (w) await w;
            got += take;
          }
          if (take < chunk.length) {
            grew = true;
            break;
          }
        }
        if (grew || readError) await it.return?.().catch(() => undefined);
      } finally {
        // also when the archive cannot be written (disk full): the source file is closed now, not by GC
        (stream as { destroy?: () => void }).destroy?.();
      }
      for (let left = size - got; left > 0; left -= Math.min(left, ZEROS.length)) {
        const z = ZEROS.subarray(0, Math.min(left, ZEROS.length));
        hash.update(z);
        await this.sink.write(z);
      }
      await this.sink.write(ZEROS.subarray(0, padding(size)));
      this.bytes += size;
      const extra: Partial<ManifestEntry> = { ...extraIn, sha256: hash.digest('hex') };
      if (grew) {
        extra.grew = true;
        this.note(`${p}: grew while read; stored up to its size at open (${size} bytes)`);
      }
      if (got < size) {
        extra.shrankTo = got;
        if (readError) {
          extra.errors = [`read failed after ${got} of ${size} bytes: ${readError.message}`];
          this.failures++;
          this.note(`${p}: read failed after ${got} of ${size} bytes (${readError.message}); rest zero-filled`);
        } else {
          this.note(`${p}: shrank while read to ${got} bytes; rest zero-filled to ${size}`);
        }
      }
      this.record(p, 'file', size, meta, extra);
      if (readError) throw readError;
    });
  }

  /** stdout at `path`, stderr at `path.stderr`; argv, times and exit status in the manifest. */
  addCommand(path: string, res: ExecResult): Promise<void> {
    return this.serial(async () => {
      const { command, meta } = commandEntry(res);
      await this.putBuffer(path, res.stdout, meta, { command });
      await this.putBuffer(`${path}.stderr`, res.stderr, { ...meta, source: `${meta.source} (stderr)` }, {});
    });
  }

  /**
   * An entry too large to hold in memory whose size is only known once it is produced (tar needs it
   * before the bytes): `produce` writes it into a spool file beside the archive (mode 600,
   * `<name>.spool`), which is then stored like a file, hashed on the way, and removed.
   */
  async addSpooled(path: string, produce: (out: NodeJS.WritableStream) => Promise<void>, meta: EntryMeta): Promise<void> {
    await this.spooled([this.spoolNames()[0]], async ([out]) => {
      await produce(out!);
      return [{ path, meta }];
    });
  }

  /**
   * A command whose output may be too large to hold in memory (docker logs, journalctl): `run` writes
   * stdout and stderr into two spool files beside the archive (mode 600), stored as above.
   */
  async addCommandSpooled(path: string, run: (sinks: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }) => Promise<ExecResult>, stderrPath = `${path}.stderr`): Promise<ExecResult> {
    const s = await this.spoolCommand(run);
    await s.store(path, stderrPath);
    return s.res;
  }

  /**
   * Runs a command into spool files of its own now, so that several can run side by side (each
   * container's logs over a far link); `store` then adds its two entries where the caller wants them
   * in the archive (in its own order, whatever finished first), and removes the spools. Each pending
   * one holds its two files on disk: callers keep a few at a time.
   */
  async spoolCommand(run: (sinks: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }) => Promise<ExecResult>): Promise<SpooledCommand> {
    const files = await this.openSpools(this.spoolNames());
    let res: ExecResult;
    try {
      res = await this.fill(files, async ([stdout, stderr]) => run({ stdout: stdout!, stderr: stderr! }));
    } catch (err) {
      await this.unspool(files);
      throw err;
    }
    const { command, meta } = commandEntry(res);
    return {
      res,
      store: (path, stderrPath = `${path}.stderr`) =>
        this.storeSpools(files, [
          { path, meta, extra: { command } },
          { path: stderrPath, meta: { ...meta, source: `${meta.source} (stderr)` } },
        ]),
      drop: () => this.unspool(files),
      stdout: () => files[0]!.createReadStream({ start: 0 }),
    };
  }

  /**
   * Opens spool files, read and write, and removes their names at once: the data lives as long as the
   * descriptor, and a run killed outright (SIGKILL) leaves nothing beside its `.partial`.
   */
  private async openSpools(names: string[]): Promise<fsp.FileHandle[]> {
    const out: fsp.FileHandle[] = [];
    try {
      for (const name of names) {
        const fh = await fsp.open(name, 'wx+', 0o600);
        this.spools.add(fh);
        out.push(fh);
        await fsp.unlink(name);
      }
    } catch (err) {
      await this.unspool(out);
      throw err;
    }
    return out;
  }

  /** Names of a new pair of spool files: `<name>.spool` and `<name>.spool-err`, then numbered. */
  private spoolNames(): [string, string] {
    const n = this.spoolSeq++;
    return n === 0 ? [this.spoolPath, `${this.spoolPath}-err`] : [`${this.spoolPath}-${n}`, `${this.spoolPath}-err-${n}`];
  }

  /** Opens the spools, lets `fill` write them, then stores each as the entry it names; always removes them. */
  private async spooled(names: string[], fill: (streams: Writable[]) => Promise<{ path: string; meta: EntryMeta; extra?: Partial<ManifestEntry> }[]>): Promise<void> {
    const spools = await this.openSpools(names);
    let entries: Awaited<ReturnType<typeof fill>>;
    try {
      entries = await this.fill(spools, fill);
    } catch (err) {
      await this.unspool(spools);
      throw err;
    }
    await this.storeSpools(spools, entries);
  }

  /** Lets `write` fill the spools; their streams are ended when it ends (the files stay open). */
  private async fill<T>(spools: fsp.FileHandle[], write: (streams: Writable[]) => Promise<T>): Promise<T> {
    const streams = spools.map(spoolStream);
    try {
      return await write(streams);
    } finally {
      // a spool that could not be written (disk full) fails the entry
      await Promise.all(streams.map(flushed));
    }
  }

  /** Stores each spool as the entry it names, then removes them (also when storing fails). */
  private async storeSpools(spools: fsp.FileHandle[], entries: { path: string; meta: EntryMeta; extra?: Partial<ManifestEntry> }[]): Promise<void> {
    try {
      for (const [i, e] of entries.entries()) {
        const fh = spools[i]!;
        const size = (await fh.stat()).size;
        await this.addStream(e.path, fh.createReadStream({ start: 0 }), { ...e.meta, size }, e.extra);
      }
    } finally {
      await this.unspool(spools);
    }
  }

  private async unspool(spools: fsp.FileHandle[]): Promise<void> {
    for (const fh of spools) this.spools.delete(fh);
    await Promise.all(spools.map((fh) => fh.close().catch(() => {})));
  }

  /** A link is stored as a link, never followed. */
  addSymlink(path: string, linkTarget: string, meta: EntryMeta): Promise<void> {
    return this.serial(async () => {
      const p = this.entryPath(path);
      await this.sink.write(this.header(p, 'symlink', 0, meta, linkTarget));
      this.record(p, 'symlink', 0, meta, { linkTarget });
    });
  }

  /** An item left out by design (a FIFO, a limit reached, a tool that is not installed). */
  skip(path: string, reason: string): void {
    const at = utcNow();
    this.skipped.push({ path, reason, at });
    this.log.push(`${at}  skipped ${path}: ${reason}`);
  }

  /** An item that exists but could not be read: the evidence is incomplete (exit 2). */
  fail(path: string, reason: string): void {
    const at = utcNow();
    this.failures++;
    this.skipped.push({ path, reason, at, failed: true });
    this.log.push(`${at}  NOT READ ${path}: ${reason}`);
  }

  /**
   * An item whose read threw: gone meanwhile (a process that exited, a file deleted), not a regular
   * file, or not available on this target is left out; anything else (permission, I/O, a timeout, a
   * command that failed) is a failure.
   */
  notRead(path: string, err: unknown, prefix = ''): void {
    const reason = `${prefix}${(err as Error).message}`;
    if (err instanceof TargetError && ['ENOENT', 'ENOTDIR', 'NOT_REGULAR', 'NOT_AVAILABLE', 'ELOOP'].includes(err.code)) this.skip(path, reason);
    else this.fail(path, reason);
  }

  note(message: string): void {
    this.log.push(`${utcNow()}  ${message.replace(/\n/g, '\\n')}`);
  }

  /** Writes acquisition.log, manifest.json and hashes.sha256, fsyncs, writes `<name>.sha256`, renames. */
  finish(): Promise<EvidenceSummary> {
    return this.serial(async () => {
      try {
        return await this.seal();
      } catch (err) {
        await this.discard();
        throw err;
      }
    }).finally(async () => {
      if (this.state === 'open') this.state = 'finished';
      // a command spooled and never stored (its caller gave up on it) leaves nothing behind
      await this.unspool([...this.spools]);
    });
  }

  private async seal(): Promise<EvidenceSummary> {
    const endedAt = utcNow();
    const files = this.entries.length;
    const bytes = this.bytes;
    const me = { source: 'ir', mode: 0o644, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtime: Date.now() / 1000 };
    const leftOut = this.skipped.filter((s) => !s.failed).length;
    this.note(`end: ${this.entries.length} entries, ${this.bytes} bytes, ${leftOut} skipped, ${this.failures} not read or failed part way`);
    // each trailer file starts its own gzip member: a damaged one leaves the others readable
    await this.sink.flush();
    await this.putBuffer(LOG_NAME, Buffer.from(this.log.join('\n') + '\n'), me, {}, true);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      tool: { name: 'ir', version: this.opts.toolVersion },
      host: this.opts.host,
      operator: this.operator,
      argv: this.opts.argv,
      startedAt: this.startedAt,
      endedAt,
      files: this.entries,
      skipped: this.skipped,
    };
    await this.sink.flush();
    await this.putBuffer(MANIFEST_NAME, Buffer.from(JSON.stringify(manifest, null, 1) + '\n'), me, {}, true);
    const sums = this.entries
      .flatMap((e) => (e.type === 'file' && e.sha256 ? [sha256sumLine(e.sha256, e.path)] : []))
      .join('');
    await this.sink.flush();
    const hashes = Buffer.from(sums);
    const hp = this.entryPath(HASHES_NAME, true);
    await this.sink.write(this.header(hp, 'file', hashes.length, me));
    await this.sink.write(hashes);
    await this.sink.write(ZEROS.subarray(0, padding(hashes.length)));
    await this.sink.write(END_OF_ARCHIVE);
    const sha256 = await this.sink.end();
    await this.fh.sync();
    await this.fh.close();
    // `<name>.sha256` before the rename: a disk that fills up on this last small file still leaves
    // nothing under the final name (exit 2 always means no evidence written)
    const sumFile = `${this.path}.sha256`;
    try {
      const sfh = await fsp.open(sumFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      try {
        const line = Buffer.from(sha256sumLine(sha256, posix.basename(this.path)));
        const { bytesWritten } = await sfh.write(line);
        if (bytesWritten !== line.length) throw Object.assign(new Error(`${sumFile}: short write (no space left on device?)`), { code: 'ENOSPC' });
        await sfh.sync();
      } finally {
        await sfh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') await fsp.unlink(sumFile).catch(() => {});
      throw err;
    }
    await fsp.rename(this.partialPath, this.path);
    await syncDir(this.opts.dir);
    return { path: this.path, sha256, files, bytes, skipped: leftOut, failed: this.failures };
  }

  private async discard(): Promise<void> {
    this.state = 'aborted';
    await this.sink.discard();
    await this.fh.close().catch(() => {});
    await fsp.unlink(this.partialPath).catch(() => {});
    await this.unspool([...this.spools]);
  }

  /** Removes the .partial (a failed or interrupted collection leaves nothing behind). */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.lock.catch(() => {});
    await this.discard();
  }

  /** Set once writing the archive itself failed (disk full, I/O error): nothing more can be added. */
  get failure(): Error | undefined {
    return this.sink.failure;
  }

  /** Size of the archive's tar stream so far (uncompressed), for progress. */
  get tarBytes(): number {
    return this.sink.accepted;
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await fsp.open(dir, 'r').catch(() => null);
  if (!d) return;
  await d.sync().catch(() => {});
  await d.close();
}
