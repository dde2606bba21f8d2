import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, openFiles, ROOT } from '../helpers/cli.js';
import { serviceEnv } from '../helpers/services.js';

/**
 * A host that dies in the middle of a collect: a sshd of the test's own (so killing its sessions
 * touches nobody else) serves a 4 GiB sparse file (1 GiB of it read, the --max-file-size default); as
 * soon as that sshd's sftp-server has the file open, every session of that sshd is killed. The trigger
 * is the remote side's open file, not the archive's size or a delay, so the kill lands mid-stream
 * however fast or loaded the machine is. ir must stop with one line saying how far it got, exit 2,
 * and leave no archive at all.
 */
const e = serviceEnv();
// the host's own trees are left out, so the collect reaches big.bin in seconds
const SKIP = ['/etc/**', '/var/**', '/home/**', '/root/**', '/usr/**', '/opt/**', '/srv/**'].flatMap((g) => ['--exclude', g]);
const T = 300_000;
let work: string;
let pidFile: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-drop-'));
  pidFile = join(work, 'sshd.pid');
  const cfg = readFileSync(e.IR_SSHD_CONFIG!, 'utf8');
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(work, 'sshd_config'), `Port ${port}\nListenAddress 127.0.0.1\nPidFile ${pidFile}\n${cfg.split('\n').filter((l) => !/^\s*(Port|PidFile|ListenAddress)\b/i.test(l)).join('\n')}\n`);
  execFileSync('/usr/sbin/sshd', ['-f', join(work, 'sshd_config'), '-E', join(work, 'sshd.log')]);
  const hostKey = /^HostKey\s+(\S+)/m.exec(cfg)![1]!;
  writeFileSync(join(work, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  writeFileSync(join(work, 'port'), String(port));
  // sparse: no disk used, and reading 1 GiB of it over sftp takes seconds
  writeFileSync(join(work, 'big.bin'), '');
  truncateSync(join(work, 'big.bin'), 4 * 1024 ** 3);
  mkdirSync(join(work, 'out'));
}, T);

function descendants(pid: string): string[] {
  let kids: string[] = [];
  try {
    kids = execFileSync('ps', ['-o', 'pid=', '--ppid', pid], { encoding: 'utf8' }).split('\n').map((l) => l.trim()).filter(Boolean);
  } catch {
    // ps exits 1 when there are none
  }
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

afterAll(() => {
  if (pidFile && existsSync(pidFile)) execFileSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
  rmSync(work, { recursive: true, force: true });
});

test('the ssh connection dies mid-stream: exit 2, one line with how far it got, no archive left', async () => {
  const out = join(work, 'out');
  const port = readFileSync(join(work, 'port'), 'utf8');
  const child = spawn(process.execPath, [BIN, 'collect', '--host', `deploy@127.0.0.1:${port}`, '-i', e.IR_SSH_KEY!, '--known-hosts', join(work, 'known_hosts'), '--sudo', '--include', join(work, 'big.bin'), ...SKIP, '--out', out], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // wait until a process under this sshd (the sftp-server) has big.bin open: it is being streamed
  const sshd = readFileSync(pidFile, 'utf8').trim();
  const big = join(work, 'big.bin');
  const end = Date.now() + 120_000;
  while (!descendants(sshd).some((p) => openFiles(p).includes(big))) {
    if (Date.now() > end) throw new Error(`the collect never opened big.bin: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // the host "dies": every process under this sshd (sessions, sudo, sftp-server) is killed at once, so the
  // TCP connection drops; its listener stays, nobody else's sessions are touched
  const tree = descendants(sshd);
  expect(tree.length).toBeGreaterThan(0);
  spawnSync('kill', ['-KILL', ...tree]); // some may be gone already (a short-lived sudo): not an error
  const code = await exited;
  expect(code).toBe(2);
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^ir collect: lost \S+: .*\((\d+) entries, (\d+) bytes so far, at .*big\.bin\); .*\.partial removed, no evidence written$/);
  const [, , bytes] = /\((\d+) entries, (\d+) bytes so far/.exec(lines[0]!)!;
  expect(Number(bytes)).toBeGreaterThan(0);
  expect(readdirSync(out)).toEqual([]);
}, T);
