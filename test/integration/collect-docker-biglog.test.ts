import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, parseJson, runIr } from '../helpers/cli.js';
import { dockerEnv } from '../helpers/services.js';

/**
 * A container with a large log: `docker logs` is streamed through a spool file into the archive instead
 * of being held in memory. The stored log is byte for byte what `docker logs --timestamps` prints, no
 * spool is left, and `--max-file-size` cuts it. (Memory is measured in bench/README.md: a 270 MB log
 * collected at 140 MiB peak RSS; an RSS bound in a test on a loaded CI machine only measures its GC.)
 */
const env = { ...process.env, ...dockerEnv() } as NodeJS.ProcessEnv;
const name = `irbig${Math.random().toString(36).slice(2, 8)}`;
const T = 400_000;
let work: string;
const docker = (...args: string[]) => execFileSync('docker', args, { env, maxBuffer: 1 << 20 }).toString();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ir-biglog-'));
  // ~23 MB of timestamped base64 lines on stdout and ~4 MB on stderr (more than the 1 MiB an exec keeps of a
  // stderr it does not stream), then idle: the log no longer changes while it is collected. docker copies
  // the two streams apart, so the log's last line is either stream's "done"
  const lastLine = () => spawnSync('docker', ['logs', '--tail', '1', name], { env, encoding: 'utf8' });
  docker('run', '-d', '--name', name, '--label', `com.docker.compose.project=${name}`, '--label', 'com.docker.compose.service=big', 'ir-busybox:test', 'sh', '-c', 'head -c 12000000 /dev/urandom | base64; head -c 3000000 /dev/urandom | base64 >&2; sleep 2; echo done; echo done >&2; sleep 3600');
  const end = Date.now() + 180_000;
  for (;;) {
    const last = lastLine();
    if (`${last.stdout}${last.stderr}`.includes('done')) break;
    if (Date.now() > end) throw new Error('the container did not finish writing its log');
    await new Promise((r) => setTimeout(r, 500));
  }
}, T);
afterAll(() => {
  try {
    docker('rm', '-f', name);
  } catch {
    // already gone
  }
  rmSync(work, { recursive: true, force: true });
});

interface Digest {
  sha256: string;
  size: number;
}

/** sha256 and size of `docker logs --timestamps` stdout and stderr, streamed (never held). */
function logDigest(): Promise<{ stdout: Digest; stderr: Digest }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['logs', '--timestamps', name], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const hasher = (stream: NodeJS.ReadableStream) => {
      const h = createHash('sha256');
      let size = 0;
      stream.on('data', (d: Buffer) => {
        h.update(d);
        size += d.length;
      });
      return () => ({ sha256: h.digest('hex'), size });
    };
    const out = hasher(child.stdout);
    const err = hasher(child.stderr);
    child.on('error', reject);
    child.on('close', () => resolve({ stdout: out(), stderr: err() }));
  });
}

interface Manifest {
  files: { path: string; size: number; sha256?: string; command?: { argv: string[] } }[];
}

function manifestOf(archive: string): Manifest {
  return JSON.parse(execFileSync('tar', ['xzOf', archive, 'manifest.json'], { maxBuffer: 64 << 20 }).toString()) as Manifest;
}

test('a 23 MB container log and its 4 MB stderr are stored whole, streamed through the spools, none left', async () => {
  const out = mkdtempSync(join(work, 'out-'));
  const child = spawn(process.execPath, [BIN, 'collect', '--project', name, '--exclude', '/**', '--out', out, '--json'], { cwd: ROOT, env: { ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(`${code} ${stderr}`).toMatch(/^[01] /);
  const res = JSON.parse(stdout) as { path: string };
  const files = manifestOf(res.path).files;
  const entry = files.find((e) => e.path === `docker/${name}/${name}/logs`)!;
  const errEntry = files.find((e) => e.path === `docker/${name}/${name}/logs.stderr`)!;
  const want = await logDigest();
  expect(want.stdout.size).toBeGreaterThan(20e6);
  expect(want.stderr.size).toBeGreaterThan(4e6);
  expect({ size: entry.size, sha256: entry.sha256 }).toEqual(want.stdout);
  expect({ size: errEntry.size, sha256: errEntry.sha256 }).toEqual(want.stderr);
  expect(entry.command!.argv).toEqual(expect.arrayContaining(['docker', 'logs', '--timestamps']));
  expect(readdirSync(out).sort()).toEqual([res.path.split('/').pop(), `${res.path.split('/').pop()}.sha256`].sort());
  const verify = await runIr(['evidence', 'verify', res.path]);
  expect(verify.code).toBe(0);
}, T);

test('--max-file-size cuts the streamed log and says so', async () => {
  const out = mkdtempSync(join(work, 'cut-'));
  const res = parseJson<{ path: string }>(await runIr(['collect', '--project', name, '--exclude', '/**', '--out', out, '--max-file-size', '10M', '--json'], { env, timeoutMs: T }));
  const entry = manifestOf(res.path).files.find((e) => e.path === `docker/${name}/${name}/logs`)!;
  expect(entry.size).toBe(10 * 1024 * 1024);
  const log = execFileSync('tar', ['xzOf', res.path, 'acquisition.log']).toString();
  expect(log).toContain(`docker/${name}/${name}/logs: cut at ${10 * 1024 * 1024} bytes (--max-file-size)`);
}, T);
