import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { BIN, ROOT } from '../helpers/cli.js';
import { serviceEnv, STATE } from '../helpers/services.js';

/**
 * `journalctl -o export` is streamed through the spool into the archive, like docker logs: a real
 * journal file (written by systemd-journal-remote from 100,000 sshd entries, ~44 MB of export output)
 * is put where journalctl looks, in a private mount namespace (tmpfs over /var/log and /run/log), so
 * the machine's own journal is neither read nor touched. The stored export is byte for byte what
 * journalctl prints there, and --max-file-size cuts it (the buffered code it replaces did not).
 */
const T = 300_000;
let work: string;
let journal: string;

// tmpfs over the journal's directories, the test's journal file in the machine id's directory, then argv
const NS_SCRIPT = [
  'set -e',
  'mount -t tmpfs ir-test-log /var/log',
  'if [ -d /run/log ]; then mount -t tmpfs ir-test-runlog /run/log; fi',
  'd=/var/log/journal/$(cat /etc/machine-id)',
  'mkdir -p "$d"',
  'cp "$1" "$d/system.journal"',
  'shift',
  'exec "$@"',
].join('\n');

/** Runs argv in a private mount namespace that holds only the test's journal; stdout hashed as it streams. */
function inNamespace(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string; sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', NS_SCRIPT, 'sh', journal, ...argv], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const h = createHash('sha256');
    let size = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      h.update(d);
      size += d.length;
      if (stdout.length < 1 << 20) stdout += d.toString();
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, sha256: h.digest('hex'), size }));
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ir-journal-'));
  const text = join(work, 'entries.export');
  const ws = createWriteStream(text);
  const t0 = Date.UTC(2026, 10, 1) * 1000;
  for (let i = 0; i < 100_000; i++) {
    const addr = `198.51.100.${(i % 250) + 1}`;
    const entry = [
      `__REALTIME_TIMESTAMP=${t0 + i * 100_000}`,
      `__MONOTONIC_TIMESTAMP=${i * 100_000 + 1}`,
      '_BOOT_ID=0123456789abcdef0123456789abcdef',
      `MESSAGE=Failed password for invalid user u${i % 977} from ${addr} port ${1024 + (i % 60_000)} ssh2 ${randomBytes(12).toString('hex')}`,
      'SYSLOG_IDENTIFIER=sshd',
      `_PID=${1000 + (i % 5000)}`,
      '_HOSTNAME=web1.example.com',
      'PRIORITY=5',
      '',
      '',
    ].join('\n');
    if (!ws.write(entry)) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  ws.end();
  await finished(ws);
  journal = join(work, 'system.journal');
  const writer = serviceEnv().IR_JOURNAL_REMOTE;
  if (!writer) throw new Error(`test/services/start.sh could not fetch systemd-journal-remote (see ${STATE}/journal-remote-download.log)`);
  execFileSync('sh', ['-c', '"$1" -o "$2" - < "$3"', 'sh', writer, journal, text], { stdio: ['ignore', 'ignore', 'pipe'] });
}, T);
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Manifest {
  files: { path: string; size: number; sha256?: string; command?: { argv: string[] } }[];
}
const manifestOf = (archive: string) => JSON.parse(execFileSync('tar', ['xzOf', archive, 'manifest.json'], { maxBuffer: 64 << 20 }).toString()) as Manifest;
const collectArgv = (out: string, ...more: string[]) => [process.execPath, BIN, 'collect', '--exclude', '/**', '--out', out, '--json', ...more];

test('the journal is stored whole, streamed through the spool, none left', async () => {
  const want = await inNamespace(['journalctl', '--no-pager', '--utc', '-o', 'export']);
  expect(want.code).toBe(0);
  expect(want.size).toBeGreaterThan(30e6);
  const out = mkdtempSync(join(work, 'out-'));
  const run = await inNamespace(collectArgv(out));
  expect(`${run.code} ${run.stderr}`).toMatch(/^[01] /);
  const res = JSON.parse(run.stdout) as { path: string };
  const entry = manifestOf(res.path).files.find((e) => e.path === 'live/journal.export')!;
  expect({ size: entry.size, sha256: entry.sha256 }).toEqual({ size: want.size, sha256: want.sha256 });
  expect(entry.command!.argv.slice(0, 5)).toEqual(['journalctl', '--no-pager', '--utc', '-o', 'export']);
  const name = res.path.split('/').pop()!;
  expect(readdirSync(out).sort()).toEqual([name, `${name}.sha256`]);
  const verify = await inNamespace([process.execPath, BIN, 'evidence', 'verify', res.path]);
  expect(verify.code).toBe(0);
}, T);

test('--max-file-size cuts the streamed journal and says so', async () => {
  const out = mkdtempSync(join(work, 'cut-'));
  const run = await inNamespace(collectArgv(out, '--max-file-size', '5M'));
  expect(`${run.code} ${run.stderr}`).toMatch(/^[01] /);
  const res = JSON.parse(run.stdout) as { path: string };
  const entry = manifestOf(res.path).files.find((e) => e.path === 'live/journal.export')!;
  expect(entry.size).toBe(5 * 1024 * 1024);
  const log = execFileSync('tar', ['xzOf', res.path, 'acquisition.log']).toString();
  expect(log).toContain(`live/journal.export: cut at ${5 * 1024 * 1024} bytes (--max-file-size)`);
}, T);
