import { execFileSync, spawn } from 'node:child_process';
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
  // ~40 MB of base64 lines, then idle: the log no longer changes while it is collected
  docker('run', '-d', '--name', name, '--label', `com.docker.compose.project=${name}`, '--label', 'com.docker.compose.service=big', 'ir-busybox:test', 'sh', '-c', 'head -c 30000000 /dev/urandom | base64; echo done; sleep 3600');
  const end = Date.now() + 180_000;
  while (!docker('logs', '--tail', '1', name).includes('done')) {
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

/** sha256 and size of `docker logs --timestamps` stdout, streamed (never held). */
function logDigest(): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['logs', '--timestamps', name], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    const h = createHash('sha256');
    let size = 0;
    child.stdout.on('data', (d: Buffer) => {
      h.update(d);
      size += d.length;
    });
    child.on('error', reject);
    child.on('close', () => resolve({ sha256: h.digest('hex'), size }));
  });
}

interface Manifest {
  files: { path: string; size: number; sha256?: string; command?: { argv: string[] } }[];
}

function manifestOf(archive: string): Manifest {
  return JSON.parse(execFileSync('tar', ['xzOf', archive, 'manifest.json'], { maxBuffer: 64 << 20 }).toString()) as Manifest;
}

test('a 40 MB container log is stored whole, streamed through the spool, none left', async () => {
  const out = mkdtempSync(join(work, 'out-'));
  const child = spawn(process.execPath, [BIN, 'collect', '--project', name, '--exclude', '/**', '--out', out, '--json'], { cwd: ROOT, env: { ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(`${code} ${stderr}`).toMatch(/^[01] /);
  const res = JSON.parse(stdout) as { path: string };
  const entry = manifestOf(res.path).files.find((e) => e.path === `docker/${name}/${name}/logs`)!;
  const want = await logDigest();
  expect(want.size).toBeGreaterThan(38e6);
  expect({ size: entry.size, sha256: entry.sha256 }).toEqual(want);
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
