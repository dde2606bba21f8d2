import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult } from './target.js';
import { TargetError } from './target.js';
import { utcNow } from '../output/time.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

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
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      if (outLen < maxBuffer) out.push(d);
      outLen += d.length;
      if (outLen >= maxBuffer) child.kill('SIGKILL');
    });
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
        stdout: Buffer.concat(out).subarray(0, maxBuffer),
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
