import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult } from './target.js';
import { TargetError, stoppedError } from './target.js';
import { utcNow } from '../core/time.js';
import { stepSignal } from '../core/step.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/** stderr kept in memory when it is not streamed: enough for any error message */
export const STDERR_KEEP = 1024 * 1024;

interface Source {
  pause(): unknown;
  resume(): unknown;
}

/** of a streamed stderr, the start is also kept in the result: the error message a caller reports */
const STDERR_HEAD = 64 * 1024;

/**
 * One output of an exec: buffered up to `max`, or written to `sink` with its backpressure (the first
 * `keep` bytes also buffered); past `max`, dropped.
 */
function streamCollector(sink: NodeJS.WritableStream | undefined, max: number, source: Source, keep = 0) {
  const out: Buffer[] = [];
  let len = 0;
  let kept = 0;
  return {
    full: () => len >= max,
    len: () => len,
    buffer: () => Buffer.concat(out, sink ? kept : len),
    add(d: Buffer) {
      if (len >= max) return;
      const part = len + d.length > max ? d.subarray(0, max - len) : d;
      len += part.length;
      if (!sink) out.push(part);
      else {
        if (kept < keep) {
          const head = part.subarray(0, keep - kept);
          out.push(Buffer.from(head));
          kept += head.length;
        }
        if (sink.write(part)) return;
        source.pause();
        sink.once('drain', () => source.resume());
      }
    },
  };
}

/**
 * Both outputs of an exec. stdout is buffered up to maxBuffer, or written to `opts.stdoutTo`; stderr is
 * kept up to 1 MiB, or written to `opts.stderrTo` up to maxBuffer (docker logs: a container's stderr
 * is half its log), its first 64 KiB then also in the result for error messages. `onFull` is called once what is kept is full (stdout, and stderr too when it is
 * streamed): the command is then stopped.
 */
export function outputCollector(opts: ExecOptions, maxBuffer: number, sources: { stdout: Source; stderr: Source }, onFull: () => void) {
  const out = streamCollector(opts.stdoutTo, maxBuffer, sources.stdout);
  const err = streamCollector(opts.stderrTo, opts.stderrTo ? maxBuffer : STDERR_KEEP, sources.stderr, STDERR_HEAD);
  let stopped = false;
  const check = () => {
    if (!stopped && out.full() && (!opts.stderrTo || err.full())) {
      stopped = true;
      onFull();
    }
  };
  return {
    stdout(d: Buffer) {
      out.add(d);
      check();
    },
    stderr(d: Buffer) {
      err.add(d);
      if (opts.stderrTo) check();
    },
    result(): Pick<ExecResult, 'stdout' | 'stderr' | 'stdoutBytes' | 'stderrBytes'> {
      return {
        stdout: out.buffer(),
        stderr: err.buffer(),
        ...(opts.stdoutTo ? { stdoutBytes: out.len() } : {}),
        ...(opts.stderrTo ? { stderrBytes: err.len() } : {}),
      };
    },
  };
}

/** `env` exits 127 when the program is missing: the same ENOENT as locally (remote commands run through env). */
export function missingProgram(res: Pick<ExecResult, 'code' | 'stderr'>): boolean {
  return res.code === 127 && /No such file or directory|not found/.test(res.stderr.toString());
}

/** Runs argv locally without a shell. A missing program is an ENOENT TargetError; a non-zero exit is a result. */
export function execLocal(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const startedAt = utcNow();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
  // the caller's, or the playbook step's (its timeout); a stopped step starts nothing new
  const signal = opts.signal ?? stepSignal();
  if (signal?.aborted) return Promise.reject(stoppedError(argv[0]!, signal));
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // stopped: TERM (sudo passes it on), KILL a second later
    const onAbort = () => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 1000).unref();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const output = outputCollector(opts, maxBuffer, { stdout: child.stdout, stderr: child.stderr }, () => child.kill('SIGKILL'));
    child.stdout.on('data', (d: Buffer) => output.stdout(d));
    child.stderr.on('data', (d: Buffer) => output.stderr(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (e.code === 'ENOENT') reject(new TargetError('ENOENT', `${argv[0]}: command not found`, argv[0]));
      else reject(new TargetError('IO', `${argv[0]}: ${e.message}`, argv[0]));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({
        argv,
        ...output.result(),
        code: timedOut ? null : code,
        signal: sig ?? undefined,
        timedOut,
        startedAt,
        endedAt: utcNow(),
      });
    });
    child.stdin.on('error', () => {});
    if (opts.stdin) opts.stdin.pipe(child.stdin);
    else if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
