import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import { serviceEnv } from '../helpers/services.js';
import type { PlaybookRun } from '../../src/playbook/runner.js';
import { SshHost } from '../../src/host/ssh.js';
import { execLocal } from '../../src/host/exec.js';

/**
 * Playbook steps run in ir's own process (issue 16): every step of a host goes over ONE SSH connection,
 * counted here by a TCP relay of our own in front of the test sshd (each SSH connection is one TCP
 * connection through it); the child-per-step path (IR_PLAYBOOK_SPAWN=1) is run once for comparison. A
 * step's timeout kills its remote command: fail2ban-client waits forever on a socket whose server
 * never answers, and must be gone once the step has timed out.
 */
const e = serviceEnv();
let work: string;
let relay: Server;
let relayPort: number;
let connections = 0;
const open = new Set<Socket>();
let silent: Server;
let silentSock: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ir-pb-inproc-'));
  chmodSync(work, 0o755);
  relay = createServer((c) => {
    connections++;
    const up = connect(Number(e.IR_SSH_PORT), e.IR_SSH_HOST!);
    open.add(c);
    open.add(up);
    c.pipe(up).pipe(c);
    const end = () => {
      c.destroy();
      up.destroy();
      open.delete(c);
      open.delete(up);
    };
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  relayPort = (relay.address() as AddressInfo).port;
  const known = readFileSync(e.IR_KNOWN_HOSTS!, 'utf8');
  const key = new RegExp(`^\\[127\\.0\\.0\\.1\\]:${e.IR_SSH_PORT}\\S*\\s+(\\S+\\s+\\S+)`, 'm').exec(known)![1];
  writeFileSync(join(work, 'known_hosts'), `[127.0.0.1]:${relayPort} ${key}\n`);
  // a fail2ban socket that accepts and never answers
  silentSock = join(work, 'silent.sock');
  silent = createServer((c) => {
    open.add(c);
    c.on('data', () => {}).on('error', () => {}).on('close', () => open.delete(c));
  });
  await new Promise<void>((r) => silent.listen(silentSock, r));
  chmodSync(silentSock, 0o777);
}, 30_000);

afterAll(async () => {
  // whatever still waits on the silent socket (a step whose command was not killed) ends with it
  for (const s of open) s.destroy();
  relay?.close();
  silent?.close();
  await new Promise((r) => setTimeout(r, 200));
  rmSync(work, { recursive: true, force: true });
});

function ssh(): string[] {
  return ['--host', `${e.IR_SSH_USER}@127.0.0.1:${relayPort}`, '-i', e.IR_SSH_KEY!, '--known-hosts', join(work, 'known_hosts'), '--sudo'];
}

async function playbook(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ res: PlaybookRun; connections: number; code: number | null }> {
  const before = connections;
  const r = await runIr(['playbook', 'run', ...args, ...ssh(), '--json'], { cwd: work, env, timeoutMs: 600_000 });
  return { res: parseJson<PlaybookRun>(r), connections: connections - before, code: r.code };
}

/** The processes whose command line names `needle` (this machine is the test sshd's host). */
function processesNaming(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (cmd.includes(needle) && pid !== String(process.pid)) out.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test('hygiene over --host: every step over one SSH connection; a child per step (IR_PLAYBOOK_SPAWN=1) opens one per step and the preflight', async () => {
  const authLog = join(work, 'auth.log');
  copyFileSync(join(ROOT, 'test/fixtures/authlog/compromise.log'), authLog);
  chmodSync(authLog, 0o644);
  const vars = ['--set', `auth_log=${authLog}`, '--set', `f2b_socket=${e.IR_F2B_SOCKET}`];
  const here = await playbook(['hygiene', ...vars, '--case', join(work, 'a', 'case')]);
  const steps = here.res.hosts[0]!.steps;
  expect(steps.map((s) => `${s.name}:${s.status === 'error' ? `error ${s.reason}` : 'ran'}`)).toEqual(['sweep:ran', 'persistence-scan:ran', 'fail2ban:ran', 'auth-review:ran', 'report:ran']);
  expect(here.connections).toBe(1);
  // each step's JSON, exit code and argv as a child's were
  for (const s of steps.filter((x) => x.command !== 'report')) {
    expect(s.argv[0]).toBe(s.command);
    expect(s.argv).toContain('--json');
    expect(s.exitCode).toBe(s.status === 'findings' ? 1 : 0);
    expect(() => JSON.parse(readFileSync(join(work, 'a', 'case', s.output!), 'utf8'))).not.toThrow();
  }
  const spawned = await playbook(['hygiene', ...vars, '--case', join(work, 'b', 'case')], { IR_PLAYBOOK_SPAWN: '1' });
  expect(spawned.res.hosts[0]!.steps.map((s) => `${s.name}:${s.status}`)).toEqual(steps.map((s) => `${s.name}:${s.status}`));
  expect(spawned.connections).toBe(5);
  expect(spawned.code).toBe(here.code);
}, 600_000);

test("a step's timeout kills its remote command; the next step runs over the same connection", async () => {
  const pb = join(work, 'stuck.yaml');
  writeFileSync(
    pb,
    `name: stuck
version: 1
description: a fail2ban server that never answers, then a short sweep of the same host
vars:
  f2b_socket: null
steps:
  - name: fail2ban
    command: fail2ban
    with:
      socket: '{{f2b_socket}}'
    timeout: 3
    continue_on_error: true
  - name: sweep
    command: sweep
    with:
      only: ssh
`,
  );
  const { res, connections: n } = await playbook([pb, '--set', `f2b_socket=${silentSock}`, '--case', join(work, 'stuck')]);
  const [f2b, sweep] = res.hosts[0]!.steps;
  expect(`${f2b!.status} ${f2b!.reason} ${f2b!.exitCode}`).toBe('error stopped after 3s null');
  expect(f2b!.seconds).toBeLessThan(8);
  // fail2ban-client (under sudo, as root) got TERM through the channel: nothing waits on the socket now
  await new Promise((r) => setTimeout(r, 1500));
  expect(processesNaming(silentSock)).toEqual([]);
  expect(sweep!.status).not.toBe('error');
  expect(n).toBe(1);
}, 120_000);

test('a stopped step starts no new command: one asked for after the stop is refused, over ssh under sudo and here, and never runs', async () => {
  // (CI: a command the fail2ban step started after its timeout got its TERM before sudo could pass it on)
  const stop = new AbortController();
  stop.abort(new Error('stopped after 3s'));
  const live = new AbortController().signal;
  const host = await SshHost.connect(`${e.IR_SSH_USER}@127.0.0.1:${e.IR_SSH_PORT}`, { identity: e.IR_SSH_KEY!, knownHosts: e.IR_KNOWN_HOSTS!, sudo: true });
  try {
    await expect(host.exec(['touch', join(work, 'ssh-stopped')], { signal: stop.signal })).rejects.toThrow(/stopped after 3s/);
    expect((await host.exec(['touch', join(work, 'ssh-live')], { signal: live })).code).toBe(0);
  } finally {
    await host.close();
  }
  await expect(execLocal(['touch', join(work, 'local-stopped')], { signal: stop.signal })).rejects.toThrow(/stopped after 3s/);
  expect((await execLocal(['touch', join(work, 'local-live')], { signal: live })).code).toBe(0);
  expect(['ssh-stopped', 'ssh-live', 'local-stopped', 'local-live'].filter((f) => existsSync(join(work, f)))).toEqual(['ssh-live', 'local-live']);
}, 60_000);

test('an error thrown outside a command (a timer, a stream callback) fails only its step, never the run or the other host', async () => {
  // the built runner in a process of its own: jest would take the uncaught error itself
  const script = `
import { mkdirSync, readFileSync } from 'node:fs';
import { checkPlaybook } from '${ROOT}/dist/playbook/load.js';
import { runPlaybook } from '${ROOT}/dist/playbook/runner.js';
import { writeOut } from '${ROOT}/dist/core/step.js';
const text = readFileSync('${ROOT}/test/fixtures/playbook/minimal.yaml', 'utf8');
const flags = { type: 'option' };
const catalog = new Map(['persistence-scan', 'fail2ban', 'isolate', 'auth-review'].map((c) => [c, { 'fail-on': flags, socket: flags, project: flags, case: flags, since: flags, host: flags }]));
const { playbook } = checkPlaybook(text, 'minimal.yaml', catalog);
mkdirSync('${work}/uncaught', { recursive: true });
const hosts = [{ label: 'a', spec: 'a', groups: [] }, { label: 'b', spec: 'b', groups: [] }];
const r = await runPlaybook({ playbook, catalog, hosts, fleet: true, kind: 'ssh', targetArgs: [], caseDir: '${work}/uncaught', caseId: 'x', startedAt: new Date().toISOString(), vars: { project: null, f2b: '/s' }, concurrency: 2, dryRun: false, cli: [],
  runCommand: async (command, argv) => {
    if (command === 'fail2ban' && argv.includes('--host=a')) {
      setTimeout(() => { throw new Error('socket vanished'); }, 5);
      await new Promise((res) => setTimeout(res, 300));
    }
    writeOut('{}\\n');
  } });
console.log(JSON.stringify(r.hosts.map((h) => h.steps.map((s) => s.status + (s.reason ? ' ' + s.reason : '')))));
`;
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual([
    ['ok', 'error ir fail2ban: unexpected error: socket vanished', 'skipped project is not set (--set project=VALUE)', 'ok', 'planned written once for the case at the end'],
    ['ok', 'ok', 'skipped project is not set (--set project=VALUE)', 'ok', 'planned written once for the case at the end'],
  ]);
});
