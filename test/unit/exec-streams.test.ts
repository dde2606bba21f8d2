import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { execLocal, STDERR_KEEP } from '../../src/host/exec.js';

/**
 * execLocal's two outputs, on a real child process: streamed to sinks (with their backpressure),
 * capped, or buffered. The same collector serves the ssh target (tested end to end in the collect
 * integration tests).
 */

/** A sink that hashes what it gets, slowly enough that the child must be paused. */
function slowSink(): { ws: Writable; digest: () => { size: number; sha256: string } } {
  const h = createHash('sha256');
  let size = 0;
  const ws = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      size += chunk.length;
      setImmediate(cb);
    },
  });
  return { ws, digest: () => ({ size, sha256: h.digest('hex') }) };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// 3 MB of one pattern on stdout, 2 MB of another on stderr (more than the 1 MiB kept when buffered)
const SCRIPT = 'yes out | head -c 3000000; yes err | head -c 2000000 >&2';
const outBytes = Buffer.from('out\n'.repeat(750_000));
const errBytes = Buffer.from('err\n'.repeat(500_000));

test('stdout and stderr both streamed: every byte in its sink, counted; stderr head kept for messages', async () => {
  const out = slowSink();
  const err = slowSink();
  const res = await execLocal(['sh', '-c', SCRIPT], { stdoutTo: out.ws, stderrTo: err.ws, maxBuffer: 64 << 20 });
  expect(res.code).toBe(0);
  expect(res.stdout.length).toBe(0);
  expect({ out: res.stdoutBytes, err: res.stderrBytes }).toEqual({ out: 3_000_000, err: 2_000_000 });
  expect(out.digest()).toEqual({ size: 3_000_000, sha256: sha(outBytes) });
  expect(err.digest()).toEqual({ size: 2_000_000, sha256: sha(errBytes) });
  expect(sha(res.stderr)).toBe(sha(errBytes.subarray(0, 64 * 1024)));
});

test('maxBuffer caps each streamed output at exactly that many bytes', async () => {
  const out = slowSink();
  const err = slowSink();
  const res = await execLocal(['sh', '-c', SCRIPT], { stdoutTo: out.ws, stderrTo: err.ws, maxBuffer: 1_000_000 });
  expect({ out: res.stdoutBytes, err: res.stderrBytes }).toEqual({ out: 1_000_000, err: 1_000_000 });
  expect(out.digest()).toEqual({ size: 1_000_000, sha256: sha(outBytes.subarray(0, 1_000_000)) });
  expect(err.digest()).toEqual({ size: 1_000_000, sha256: sha(errBytes.subarray(0, 1_000_000)) });
});

test('stderr not streamed: kept up to 1 MiB, stdout whole, the command not stopped', async () => {
  const res = await execLocal(['sh', '-c', `${SCRIPT}; echo done`]);
  expect(res.code).toBe(0);
  expect(res.stdout.toString().endsWith('done\n')).toBe(true);
  expect(res.stdout.length).toBe(3_000_005);
  expect(sha(res.stderr)).toBe(sha(errBytes.subarray(0, STDERR_KEEP)));
  expect(res.stderrBytes).toBeUndefined();
});
