import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { serviceEnv } from '../helpers/services.js';

/**
 * ProxyJump from ~/.ssh/config, end to end: a second sshd inside the test's remote network namespace
 * listens on that namespace's own loopback (127.0.0.1:2223), which nothing outside the namespace can
 * reach. Through `ProxyJump ir-remote` it answers; directly, the connection is refused. So a success
 * proves the hop.
 */
const e = serviceEnv();
const NS = e.IR_REMOTE_NETNS!;
const PORT = 2223;
let work: string;
let pidFile: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-jump-'));
  pidFile = join(work, 'sshd.pid');
  const base = readFileSync(e.IR_REMOTE_SSHD_CONFIG!, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(Port|ListenAddress|PidFile)\b/i.test(l))
    .join('\n');
  writeFileSync(join(work, 'sshd_config'), `Port ${PORT}\nListenAddress 127.0.0.1\nPidFile ${pidFile}\n${base}\n`);
  execFileSync('ip', ['netns', 'exec', NS, '/usr/sbin/sshd', '-f', join(work, 'sshd_config'), '-E', join(work, 'sshd.log')]);
  const hostKey = readFileSync(`${/HostKey\s+(\S+)/.exec(base)![1]}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(work, 'known_hosts'), `${readFileSync(e.IR_KNOWN_HOSTS!, 'utf8')}\n[127.0.0.1]:${PORT} ${hostKey}\n`);
  writeFileSync(
    join(work, 'ssh_config'),
    [
      `Host behind`,
      `  HostName 127.0.0.1`,
      `  Port ${PORT}`,
      `  User deploy`,
      `  ProxyJump ir-remote`,
      `Host direct`,
      `  HostName 127.0.0.1`,
      `  Port ${PORT}`,
      `  User deploy`,
      `Host ir-remote`,
      `  HostName ${e.IR_REMOTE_HOST}`,
      `  Port ${e.IR_REMOTE_PORT}`,
      `  User deploy`,
      `Host *`,
      `  IdentityFile ${e.IR_SSH_KEY}`,
      `  IdentitiesOnly yes`,
      `  UserKnownHostsFile ${join(work, 'known_hosts')}`,
      '',
    ].join('\n'),
  );
});

afterAll(() => {
  if (pidFile && existsSync(pidFile)) spawnSync('kill', [readFileSync(pidFile, 'utf8').trim()]);
  rmSync(work, { recursive: true, force: true });
});

test('a host reachable only through its ProxyJump is scanned through it', async () => {
  const cfg = ['--ssh-config', join(work, 'ssh_config')];
  const direct = await runIr(['persistence-scan', ...cfg, '--host', 'direct', '--only', 'authorized-keys']);
  expect(direct.code).toBe(2);
  expect(direct.stderr).toMatch(/connection refused/);

  const run = await runIr(['persistence-scan', ...cfg, '--host', 'behind', '--only', 'authorized-keys', '--json']);
  expect(run.stderr).toBe('');
  const report = parseJson<{ host: string; target: string; findings: unknown[] }>(run);
  expect(report.target).toBe('ssh');
  // the hidden sshd saw us come from its own namespace's loopback: the jump host opened the channel
  expect(readFileSync(join(work, 'sshd.log'), 'utf8')).toMatch(/Accepted publickey for deploy from 127\.0\.0\.1 /);
});
