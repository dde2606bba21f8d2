import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult } from './target.js';
import { TargetError } from './target.js';
import { utcNow } from '../output/time.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/**
 * The stdout side of an exec: buffered up to maxBuffer, or written to `opts.stdoutTo` with its
 * backpressure (`pause`/`resume` act on the source). `onFull` is called once maxBuffer is reached.
 */
export function stdoutCollector(opts: ExecOptions, maxBuffer: number, source: { pause(): unknown; resume(): unknown }, onFull: () => void): { add(d: Buffer): void; result(): { stdout: Buffer; stdoutBytes?: number } } {
  const out: Buffer[] = [];
  let len = 0;
  const sink = opts.stdoutTo;
  return {
    add(d: Buffer) {
      if (len >= maxBuffer) return;
      const part = len + d.length > maxBuffer ? d.subarray(0, maxBuffer - len) : d;
      len += part.length;
      if (sink) {
        if (!sink.write(part)) {
          source.pause();
          sink.once('drain', () => source.resume());
        }
      } else out.push(part);
      if (len >= maxBuffer) onFull();
    },
    result: () => (sink ? { stdout: Buffer.alloc(0), stdoutBytes: len } : { stdout: Buffer.concat(out, len) }),
  };
}

/** Runs argv locally without a shell. A missing program is an ENOENT TargetError; a non-zero exit is a result. */
export function execLocal(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const startedAt = utcNow();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const err: Buffer[] = [];
    let errLen = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const stdout = stdoutCollector(opts, maxBuffer, child.stdout, () => child.kill('SIGKILL'));
    child.stdout.on('data', (d: Buffer) => stdout.add(d));
    child.stderr.on('data', (d: Buffer) => {
      if (errLen < 1 << 20) err.push(d);
      errLen += d.length;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new TargetError('ENOENT', `${argv[0]}: command not found`, argv[0]));
      else reject(new TargetError('IO', `${argv[0]}: ${e.message}`, argv[0]));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        argv,
        ...stdout.result(),
        stderr: Buffer.concat(err),
        code: timedOut ? null : code,
        signal: signal ?? undefined,
        timedOut,
        startedAt,
        endedAt: utcNow(),
      });
    });
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
