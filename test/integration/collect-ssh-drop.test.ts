import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, openSync, closeSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';
import { serviceEnv } from '../helpers/services.js';

/**
 * A host that dies in the middle of a collect: a sshd of the test's own (so killing its sessions
 * touches nobody else) serves a 300 MB file; once the archive has grown, every session of that sshd
 * is killed. ir must stop with one line saying how far it got, exit 2, and leave no archive at all.
 */
const e = serviceEnv();
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
  // incompressible, so the archive grows as fast as it is read
  const fd = openSync(join(work, 'big.bin'), 'w');
  for (let i = 0; i < 300; i++) writeSync(fd, randomBytes(1 << 20));
  closeSync(fd);
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
  const child = spawn(process.execPath, [BIN, 'collect', '--host', `deploy@127.0.0.1:${port}`, '-i', e.IR_SSH_KEY!, '--known-hosts', join(work, 'known_hosts'), '--sudo', '--include', join(work, 'big.bin'), '--out', out], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // wait until the archive has grown past 20 MB: the big file is being streamed
  const end = Date.now() + 120_000;
  for (;;) {
    const partial = readdirSync(out).find((f) => f.endsWith('.partial'));
    if (partial && statSync(join(out, partial)).size > 20e6) break;
    if (Date.now() > end) throw new Error(`the collect did not get going: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // the host "dies": every process under this sshd (sessions, sudo, sftp-server) is killed at once, so the
  // TCP connection drops; its listener stays, nobody else's sessions are touched
  const tree = descendants(readFileSync(pidFile, 'utf8').trim());
  expect(tree.length).toBeGreaterThan(0);
  spawnSync('kill', ['-KILL', ...tree]); // some may be gone already (a short-lived sudo): not an error
  const code = await exited;
  expect(code).toBe(2);
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^ir collect: lost \S+: .*\((\d+) entries, (\d+) bytes so far, at .*big\.bin\); .*\.partial removed, no evidence written$/);
  const [, , bytes] = /\((\d+) entries, (\d+) bytes so far/.exec(lines[0]!)!;
  expect(Number(bytes)).toBeGreaterThan(20e6);
  expect(readdirSync(out)).toEqual([]);
}, T);
