import { IrError } from '../core/errors.js';
import type { DeclaredInputs } from './batch/declared.js';
import type { PrefetchOptions } from './batch/snapshot.js';
import type { RoundTrips } from './batch/roundtrips.js';
import type { PositionedFile } from './positioned.js';

export type { DeclaredInputs, PrefetchOptions, RoundTrips };
/**
 * One way to read a host (Velociraptor's accessors): every module reads through a Target and never
 * asks which kind it has. A capability a target lacks (processes offline) is a typed NotAvailable error.
 */

export type FileType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block' | 'unknown';

export interface FileStat {
  type: FileType;
  /** permission bits and setuid/setgid/sticky (mode & 0o7777) */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** seconds since the epoch, UTC, possibly fractional */
  mtime: number;
  atime: number;
  /** ctime where the target knows it (local, offline); sftp gives none */
  ctime?: number;
  ino?: number;
  nlink?: number;
}

export interface DirEntry {
  name: string;
  /** absolute path on the target (inside the image for ImageHost) */
  path: string;
  stat: FileStat;
}

export interface ExecOptions {
  /** milliseconds before the command is killed; default 30 s */
  timeoutMs?: number;
  /** kills the command when it aborts (a playbook step's timeout), as the timeout does */
  signal?: AbortSignal;
  /** bytes written to the command's stdin */
  input?: Buffer | string;
  /** stdin streamed from this instead (a long-lived shell fed request by request); ends when it ends */
  stdin?: NodeJS.ReadableStream;
  /** stop collecting stdout past this many bytes (the command is killed); default 64 MiB */
  maxBuffer?: number;
  /** run with elevated rights where the target was opened with --sudo (ignored locally when root) */
  privileged?: boolean;
  /**
   * write stdout into this stream as it arrives (its backpressure pauses the command) instead of
   * buffering it: `stdout` of the result is then empty and `stdoutBytes` counts what was written (at
   * most maxBuffer). The caller ends the stream. For outputs too large to hold (docker logs).
   */
  stdoutTo?: NodeJS.WritableStream;
  /**
   * the same for stderr (kept up to 1 MiB otherwise): `stderrBytes` counts what was written (at most
   * maxBuffer) and `stderr` of the result holds its first 64 KiB, for an error message
   */
  stderrTo?: NodeJS.WritableStream;
}

export interface ExecResult {
  argv: string[];
  stdout: Buffer;
  stderr: Buffer;
  /** bytes of stdout written to `stdoutTo` (only with that option) */
  stdoutBytes?: number;
  /** bytes of stderr written to `stderrTo` (only with that option) */
  stderrBytes?: number;
  /** exit code, null when killed by a signal or the timeout */
  code: number | null;
  signal?: string;
  timedOut?: boolean;
  /** UTC ISO 8601 */
  startedAt: string;
  endedAt: string;
}

export interface ReadOptions {
  /** read at most this many bytes (a bounded prefix of huge files); default 16 MiB */
  maxBytes?: number;
}

export type TargetKind = 'local' | 'ssh' | 'image';

export interface Target {
  readonly kind: TargetKind;
  /** host name used in findings and evidence names */
  readonly name: string;
  /** true when processes, sockets and commands of a running system can be read */
  readonly live: boolean;
  /** lstat: never follows a final symlink; null when the path does not exist */
  lstat(path: string): Promise<FileStat | null>;
  /** stat following symlinks (inside the image for ImageHost); null when missing or dangling */
  stat(path: string): Promise<FileStat | null>;
  /** entries with their lstat; throws TargetError on a missing or unreadable directory */
  list(dir: string): Promise<DirEntry[]>;
  readlink(path: string): Promise<string>;
  /** reads a regular file (refuses devices, FIFOs, sockets; follows a final symlink only when it stays on the target) */
  readFile(path: string, opts?: ReadOptions): Promise<Buffer>;
  /** streams a regular file from byte `start` (for large logs and evidence) */
  openRead(path: string, opts?: { start?: number; end?: number }): Promise<NodeJS.ReadableStream>;
  /** runs argv without a shell (remote: every argument quoted). Throws NotAvailable offline. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;

  // Capabilities. A module asks whether a target has one (`if (t.localPath)`), never which kind it is.
  /** where a file of the target lies on this machine (local: the path itself; an image: resolved inside it) */
  localPath?(path: string): Promise<string>;
  /** the target's own path of a file of this machine, null when that file is not on the target */
  targetPathOf?(localPath: string): string | null;
  /** false when the connection to the target is gone (only targets that can be lost have it) */
  alive?(): Promise<boolean>;
  /**
   * extended attributes by name (`security.capability`, `trusted.overlay.opaque`), raw bytes; a name
   * the file does not carry is absent. Throws NotAvailable when the target cannot read them (no getfattr).
   */
  xattrs?(path: string, names?: string[]): Promise<Record<string, Buffer>>;
  /**
   * Reads everything `inputs` declare in one batch (one exec under one sudo, host/batch/) and returns
   * a Target that answers from it; where the batch cannot run, a Target that reads per file and says
   * why (readingNote). Only targets with a round trip to save have it (ssh).
   */
  prefetch?(inputs: DeclaredInputs, opts?: PrefetchOptions): Promise<Target>;
  /**
   * The same under a directory of this host that is the `/` of another tree (an image's layer, a
   * running container's /proc/PID/root): a Target of that tree's paths. Links on the way to a walked
   * directory are never followed by the host (the tree resolves them inside itself).
   */
  prefetchUnder?(prefix: string, inputs: DeclaredInputs): Promise<Target>;
  /** how this target reads its host (a batch and its tools, or per file and why): for the output and the acquisition log */
  reading?(): { mode: 'batch' | 'per-file'; note: string };
  /** how a file's content was read on the host (`ssh batch (tar)`), for the evidence manifest; undefined: one by one */
  readBy?(path: string): string | undefined;
  /** requests sent to the host so far (tests, the benchmark) */
  roundTrips?(): RoundTrips;
  /**
   * a regular file of this machine opened for positioned reads, by a descriptor worker threads can
   * share (large logs read in byte ranges); the same checks as openRead (no final symlink, no FIFO)
   */
  openPositioned?(path: string): Promise<PositionedFile>;
}

export type TargetErrorCode = 'ENOENT' | 'EACCES' | 'ENOTDIR' | 'EISDIR' | 'ELOOP' | 'NOT_REGULAR' | 'NOT_AVAILABLE' | 'TIMEOUT' | 'IO';

export class TargetError extends IrError {
  constructor(
    public readonly code: TargetErrorCode,
    message: string,
    public readonly path?: string,
  ) {
    super(message);
    this.name = 'TargetError';
  }
}

/** What a read or command of a stopped playbook step fails with (the step's timeout, or Ctrl-C). */
export function stoppedError(where: string, signal: AbortSignal | undefined): TargetError {
  const why = signal?.reason instanceof Error ? signal.reason.message : String(signal?.reason ?? 'the step was stopped');
  return new TargetError('TIMEOUT', `${where}: ${why}`);
}

/** A capability the target lacks, e.g. processes on an offline image: reported, never fatal. */
export class NotAvailable extends TargetError {
  constructor(what: string) {
    super('NOT_AVAILABLE', `${what}: not available offline`);
    this.name = 'NotAvailable';
  }
}

export function isMissing(err: unknown): boolean {
  return err instanceof TargetError && (err.code === 'ENOENT' || err.code === 'ENOTDIR');
}

/** Text of a file as a detector wants it: null when missing, the error kept otherwise. */
export async function readTextOrNull(t: Target, path: string, opts?: ReadOptions): Promise<string | null> {
  try {
    return (await t.readFile(path, opts)).toString('utf8');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** Lists a directory, an empty list when it does not exist. */
export async function listOrEmpty(t: Target, dir: string): Promise<DirEntry[]> {
  try {
    return await t.list(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}
