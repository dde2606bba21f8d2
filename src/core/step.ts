import { AsyncLocalStorage } from 'node:async_hooks';
import { writeSync } from 'node:fs';

/**
 * A playbook step run inside this process (playbook/runner.ts) instead of as a child `ir`: what the
 * child's own process gave it, kept per step in an AsyncLocalStorage so that hosts running in
 * parallel on one event loop never share it. Its stdout and stderr (files in the case), its exit code
 * (never `process.exitCode`, which the steps would share), its argv, an AbortSignal for its timeout,
 * and the host's open connections, so that every step of a host uses one SSH connection and one sudo
 * check (host/pool.ts). Outside a step every helper here acts on the process itself.
 */
export interface SharedConnections {
  /** the connection open under `key`, opened by `open` on first use; its owner (the pool) closes it */
  get<T extends { close(): Promise<void> }>(key: string, open: () => Promise<T>): Promise<T>;
}

export interface StepIo {
  /** the step's argv after `ir` (what `process.argv.slice(2)` is in a child) */
  argv: string[];
  /** file descriptors its stdout and stderr go to */
  stdout: number;
  stderr: number;
  /** what the step set as its exit code (0 when never set) */
  exitCode?: number;
  /** set when the step is over (finished or stopped): later writes of its leftovers are dropped */
  ended: boolean;
}

export interface InProcess {
  step?: StepIo;
  /** aborted when the step runs out of time (or the run is interrupted): remote commands are killed */
  signal?: AbortSignal;
  /** the host's shared connections (one per host and set of connection flags) */
  connections?: SharedConnections;
}

const store = new AsyncLocalStorage<InProcess>();

export function inProcess(): InProcess | undefined {
  return store.getStore();
}

/** Runs `fn` with `ctx` as the in-process context of everything it starts (promises, timers, events). */
export function runInProcess<T>(ctx: InProcess, fn: () => T): T {
  return store.run(ctx, fn);
}

/** The step's AbortSignal, when running as a step. */
export function stepSignal(): AbortSignal | undefined {
  return store.getStore()?.signal;
}

/** The exit code of this command: the step's when running as a step, the process's otherwise. */
export function setExitCode(code: number): void {
  const step = store.getStore()?.step;
  if (step) step.exitCode = code;
  else process.exitCode = code;
}

/** The command line after `ir`: the step's when running as a step. */
export function commandArgv(): string[] {
  return store.getStore()?.step?.argv ?? process.argv.slice(2);
}

function toBytes(chunk: unknown, encoding?: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

function writeFd(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off);
}

/** Writes to the step's stdout or stderr; false when not running as a step (the caller writes to the process). */
function stepWrite(which: 'stdout' | 'stderr', chunk: unknown, encoding?: unknown): boolean {
  const step = store.getStore()?.step;
  if (!step) return false;
  if (!step.ended) writeFd(step[which], toBytes(chunk, encoding));
  return true;
}

export function writeOut(text: string): void {
  if (!stepWrite('stdout', text)) process.stdout.write(text);
}

export function writeErr(text: string): void {
  if (!stepWrite('stderr', text)) process.stderr.write(text);
}

type WriteFn = typeof process.stdout.write;
let captured = 0;
let originals: { out: WriteFn; err: WriteFn } | undefined;

/**
 * While steps run in this process, whatever writes to process.stdout or process.stderr inside a step
 * (oclif's log and warn, a module's message) goes to that step's files, as a child's stdio did;
 * outside a step it goes to the process. Returns the function that puts the streams back (nested
 * calls count: the last one restores).
 */
export function captureProcessStreams(): () => void {
  if (captured++ === 0) {
    const out = process.stdout.write;
    const err = process.stderr.write;
    originals = { out, err };
    const wrap = (which: 'stdout' | 'stderr', orig: WriteFn): WriteFn =>
      function (this: NodeJS.WriteStream, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
        const done = typeof encoding === 'function' ? encoding : cb;
        if (!stepWrite(which, chunk, encoding)) return (orig as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
        if (typeof done === 'function') process.nextTick(done as () => void);
        return true;
      } as WriteFn;
    process.stdout.write = wrap('stdout', out);
    process.stderr.write = wrap('stderr', err);
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (--captured === 0 && originals) {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      originals = undefined;
    }
  };
}
