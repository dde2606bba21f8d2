import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LocalHost } from '../../src/host/local.js';
import type { ExecOptions } from '../../src/host/target.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { runChecks } from '../../src/sweep/runner.js';
import type { CheckResult } from '../../src/sweep/result.js';
import { dockerEnv, serviceEnv } from '../helpers/services.js';

const env = serviceEnv();
const tmp = mkdtempSync(join(tmpdir(), 'ir-sweep-live-'));
const local = new LocalHost();
const policy = defaultPolicy();
const byKey = (rs: CheckResult[]) => new Map(rs.map((r) => [r.key, r]));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('SSH: real sshd -T on a good and a bad config', () => {
  beforeAll(() => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(tmp, 'hostkey')]);
    const common = `HostKey ${join(tmp, 'hostkey')}\nPidFile ${join(tmp, 'sshd.pid')}\n`;
    writeFileSync(join(tmp, 'good.conf'), `${common}PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nMaxAuthTries 3\nX11Forwarding no\n`);
    // fine for everybody, except the Match block that gives passwords back to one range
    writeFileSync(join(tmp, 'bad.conf'), `${common}PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nMaxAuthTries 3\nX11Forwarding yes\nMatch Address 198.51.100.0/24\n    PasswordAuthentication yes\n`);
    writeFileSync(join(tmp, 'broken.conf'), `${common}PermitRootLogin no\nNoSuchOption yes\n`);
  });

  test('each setting judged in every Match context, refused configs reported with file and line', async () => {
    const files = ['good.conf', 'bad.conf', 'broken.conf'].map((f) => join(tmp, f));
    const rs = byKey(await runChecks(local, policy, { only: ['ssh'], sshdConfigs: files }));
    const st = (id: string, f: string) => rs.get(`${id}:${join(tmp, f)}`)?.status;
    for (const id of ['IR-SSH-001', 'IR-SSH-002', 'IR-SSH-003', 'IR-SSH-004', 'IR-SSH-005', 'IR-SSH-006']) expect(st(id, 'good.conf')).toBe('pass');
    expect(['IR-SSH-001', 'IR-SSH-002', 'IR-SSH-003', 'IR-SSH-004', 'IR-SSH-005', 'IR-SSH-006'].map((id) => st(id, 'bad.conf'))).toEqual(['pass', 'fail', 'pass', 'pass', 'pass', 'fail']);
    const pw = rs.get(`IR-SSH-002:${join(tmp, 'bad.conf')}`)!;
    expect(pw.actual).toBe('passwordauthentication yes (Match Address 198.51.100.0/24)');
    expect(pw.evidence).toBe(`sshd -T -f ${join(tmp, 'bad.conf')} -C user=root,host=ir-sweep.invalid,addr=198.51.100.0`);
    const broken = rs.get(`IR-SSH-001:${join(tmp, 'broken.conf')}`)!;
    expect(broken).toMatchObject({ status: 'error', path: join(tmp, 'broken.conf'), line: 4 });
    expect(broken.reason).toMatch(/line 4: Bad configuration option: NoSuchOption/);
  });

  test('the running test sshd is found from /proc and judged', async () => {
    const rs = byKey(await runChecks(local, policy, { only: ['IR-SSH-001', 'IR-SSH-002'] }));
    expect(rs.get(`IR-SSH-001:${env.IR_SSHD_CONFIG}`)).toMatchObject({ status: 'fail', actual: 'permitrootlogin without-password', evidence: `sshd -T -f ${env.IR_SSHD_CONFIG}` });
    expect(rs.get(`IR-SSH-002:${env.IR_SSHD_CONFIG}`)).toMatchObject({ status: 'pass', actual: 'passwordauthentication no' });
  });
});

describe('fail2ban: the test fail2ban-server', () => {
  test('live values from fail2ban-client, backend and action judged', async () => {
    const rs = byKey(await runChecks(local, policy, { only: ['fail2ban'], fail2banDir: env.IR_F2B_CONF_DIR }));
    const st = Object.fromEntries([...rs.values()].map((r) => [r.key, r.status]));
    expect(st).toEqual({
      'IR-F2B-001': 'pass',
      'IR-F2B-002': 'pass',
      'IR-F2B-003': 'pass',
      'IR-F2B-004': 'pass',
      'IR-F2B-005': 'fail',
      'IR-F2B-006': 'pass',
      'IR-F2B-007': 'fail',
      'IR-F2B-008': 'pass',
    });
    expect(rs.get('IR-F2B-004')).toMatchObject({ actual: 'maxretry = 3', evidence: `fail2ban-client -c ${env.IR_F2B_CONF_DIR} get sshd maxretry` });
    expect(rs.get('IR-F2B-005')!.actual).toBe('bantime = 3600 s');
    expect(rs.get('IR-F2B-007')!.actual).toBe('actions: dummy');
    expect(rs.get('IR-F2B-008')!.actual).toBe(`backend = polling, logpath ${env.IR_F2B_LOG}`);
  });

  test('installed but not running: IR-F2B-002 fails with the reason, values come from the files', async () => {
    const dir = join(tmp, 'f2b');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'fail2ban.local'), `[Definition]\nsocket = ${join(tmp, 'no-such.sock')}\n`);
    writeFileSync(join(dir, 'jail.local'), '[sshd]\nenabled = true\nmaxretry = 3\nbackend = systemd\n');
    const rs = byKey(await runChecks(local, policy, { only: ['fail2ban'], fail2banDir: dir }));
    expect(rs.get('IR-F2B-002')!.status).toBe('fail');
    // the error, not the warning fail2ban-client prints before it ('pidfile' not defined) with its time stamp
    expect(rs.get('IR-F2B-002')!.actual).toBe(`not running: Failed to access socket path: ${join(tmp, 'no-such.sock')}. Is fail2ban running?`);
    expect(rs.get('IR-F2B-003')).toMatchObject({ status: 'pass', actual: 'enabled = true', evidence: `${dir}/jail.local line 2` });
  });
});

test('fail2ban not running: the reason the sweep takes from its -i run, with no ping of its own, is the plain ping\'s', async () => {
  // fail2ban.conf defines every [Definition] option, so fail2ban-client warns of none before its error
  const dir = join(tmp, 'f2b-quiet');
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('cp', [join(env.IR_F2B_CONF_DIR!, 'fail2ban.conf'), join(dir, 'fail2ban.conf')]);
  writeFileSync(join(dir, 'fail2ban.local'), `[Definition]\nsocket = ${join(tmp, 'quiet.sock')}\npidfile = ${join(tmp, 'quiet.pid')}\n`);
  writeFileSync(join(dir, 'jail.local'), '[sshd]\nenabled = true\n');
  const ping = spawnSync('fail2ban-client', ['-c', dir, 'ping'], { encoding: 'utf8' });
  expect(ping.status).not.toBe(0);
  const said = ping.stderr.replace(/^.*ERROR\s+/m, '').trim().split('\n')[0];
  expect(said).toMatch(/^Failed to access socket path: .*quiet\.sock\. Is fail2ban running\?$/);
  const ran: string[][] = [];
  const counting = new Proxy(local, { get: (o, p) => (p === 'exec' ? (argv: string[], opts?: ExecOptions) => (ran.push(argv), o.exec(argv, opts)) : (Reflect.get(o, p) as unknown)) });
  const rs = byKey(await runChecks(counting, policy, { only: ['IR-F2B-002'], fail2banDir: dir }));
  expect(rs.get('IR-F2B-002')).toMatchObject({ status: 'fail', actual: `not running: ${said}`, evidence: `fail2ban-client -c ${dir} ping` });
  expect(ran.filter((a) => a.includes('ping') && a[0] === 'fail2ban-client')).toEqual([]);
});

describe('Docker: one hardened container and one that is not, in the test engine', () => {
  const id = `irsweep-${randomBytes(3).toString('hex')}`;
  const net = `${id}-internal`;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dk = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, ...dockerEnv() }, encoding: 'utf8' }).trim();
  let saved: NodeJS.ProcessEnv;

  beforeAll(async () => {
    saved = { DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CONFIG: process.env.DOCKER_CONFIG };
    Object.assign(process.env, dockerEnv());
    // pushed by start.sh to the local registry in dockerd's netns: a real RepoDigest, not just an image id
    const image = env.IR_PINNED_IMAGE!;
    expect(image).toMatch(/^127\.0\.0\.1:5000\/ir-busybox@sha256:[0-9a-f]{64}$/);
    dk('network', 'create', '--internal', net);
    const labels = (svc: string) => ['--label', `com.docker.compose.project=${id}`, '--label', `com.docker.compose.service=${svc}`, '--label', `com.docker.compose.project.working_dir=${tmp}`];
    // the hardening guide's container settings: non-root, read-only, cap_drop ALL, no-new-privileges, limits, healthcheck, pinned image, internal network
    dk('run', '-d', '--name', `${id}-cache`, ...labels('cache'), '--user', '1000:1000', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true', '--memory', '64m', '--cpus', '0.5', '--health-cmd', 'true', '--health-interval', '1s', '--network', net, image, 'sleep', '3600');
    // and everything the guides warn against (not --privileged: this sandbox cannot grant every capability)
    dk('run', '-d', '--name', `${id}-redis`, ...labels('redis'), '-v', `${env.DOCKER_HOST!.replace('unix://', '')}:/var/run/docker.sock`, '-p', `${port}:6379`, env.IR_DOCKER_IMAGE!, 'sleep', '3600');
    for (let i = 0; i < 40 && dk('inspect', '--format', '{{.State.Health.Status}}', `${id}-cache`) !== 'healthy'; i++) await new Promise((r) => setTimeout(r, 500));
  }, 60_000);

  afterAll(() => {
    try {
      dk('rm', '-f', `${id}-cache`, `${id}-redis`);
      dk('network', 'rm', net);
    } finally {
      Object.assign(process.env, saved);
    }
  });

  test('every container check asserted on both containers', async () => {
    const rs = await runChecks(local, policy, { only: ['docker', 'IR-FW-004', 'IR-FW-005'] });
    const of = (name: string) => Object.fromEntries(rs.filter((r) => r.subject === name).map((r) => [r.id, r.status]));
    expect(of(`${id}-cache`)).toEqual({
      'IR-FW-004': 'pass',
      'IR-DCK-001': 'pass',
      'IR-DCK-002': 'pass',
      'IR-DCK-003': 'pass',
      'IR-DCK-004': 'pass',
      'IR-DCK-005': 'pass',
      'IR-DCK-006': 'pass',
      'IR-DCK-007': 'pass',
      'IR-DCK-008': 'pass',
      'IR-DCK-009': 'pass',
      'IR-DCK-010': 'pass',
      'IR-DCK-011': 'pass',
      'IR-DCK-012': 'pass',
    });
    expect(of(`${id}-redis`)).toEqual({
      'IR-FW-004': 'fail',
      'IR-DCK-001': 'fail',
      'IR-DCK-002': 'fail',
      'IR-DCK-003': 'fail',
      'IR-DCK-004': 'fail',
      'IR-DCK-005': 'fail',
      'IR-DCK-006': 'fail',
      'IR-DCK-007': 'fail',
      'IR-DCK-008': 'fail',
      'IR-DCK-009': 'pass',
      'IR-DCK-010': 'fail',
      'IR-DCK-011': 'pass',
      'IR-DCK-012': 'fail',
    });
    const get = (cid: string, name: string) => rs.find((r) => r.id === cid && r.subject === name)!;
    expect(get('IR-DCK-001', `${id}-cache`).actual).toBe('user "1000:1000", PID 1 uid 1000');
    expect(get('IR-DCK-003', `${id}-cache`).actual).toBe('CapDrop [ALL], CapAdd [], CapEff 0000000000000000');
    expect(get('IR-DCK-002', `${id}-cache`).actual).toBe('ReadonlyRootfs true, / mounted ro');
    expect(get('IR-DCK-008', `${id}-cache`).actual).toBe(`pinned: ${env.IR_PINNED_IMAGE}`);
    expect(dk('image', 'inspect', '--format', '{{range .RepoDigests}}{{println .}}{{end}}', env.IR_PINNED_IMAGE!).split('\n')).toContain(env.IR_PINNED_IMAGE);
    expect(get('IR-DCK-008', `${id}-redis`).actual).toBe(`tag only: ${env.IR_DOCKER_IMAGE}`);
    expect(get('IR-DCK-004', `${id}-redis`).actual).toBe('SecurityOpt [], NoNewPrivs 0');
    expect(get('IR-DCK-012', `${id}-redis`).actual).toMatch(new RegExp(`^not internal: bridge; published: 0\\.0\\.0\\.0:${port}`));
    expect(get('IR-FW-004', `${id}-redis`).actual).toBe(`published past the firewall: 0.0.0.0:${port}, [::]:${port}`);
    // daemon.json of the running dockerd (its --config-file), not /etc/docker/daemon.json
    expect(rs.find((r) => r.id === 'IR-DCK-013')!.evidence).toBe(`${env.IR_STATE}/docker/daemon.json ("userns-remap")`);
  });

  test('no Docker daemon: the container checks are not applicable, never an error', async () => {
    const keep = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${join(tmp, 'no-docker.sock')}`;
    try {
      const rs = await runChecks(local, policy, { only: ['IR-DCK-001', 'IR-DCK-012', 'IR-FW-004'] });
      expect(rs.map((r) => r.status)).toEqual(['na', 'na', 'na']);
      expect(rs[0]!.reason).toMatch(/does not answer/);
    } finally {
      process.env.DOCKER_HOST = keep;
    }
  });
});
