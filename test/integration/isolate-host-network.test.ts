import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, type IrRun } from '../helpers/cli.js';
import { serviceEnv } from '../helpers/services.js';

/**
 * `ir isolate --host-network` in network namespaces this test creates, never on the machine's own
 * network: iriso-host (the compromised host, sshd on 2022, a web service on 8080, a firewall table of
 * its own), iriso-resp (the responder, 10.201.1.2) and iriso-out (the outside, 10.201.2.2, port 9090).
 * ir runs in iriso-resp and reaches the host over SSH as the test services' `deploy` user with sudo.
 * Needs root, nft (apt-get install nftables), sshd and busybox; ufw for the last test (enabled only in
 * iriso-host, with a private copy of /etc/ufw bind-mounted over the real one).
 */
const run = promisify(execFile);
const NS = { host: 'iriso-host', resp: 'iriso-resp', out: 'iriso-out' };
const HOST = '10.201.1.1';
const VICTIM = 'iriso-victim';
let work: string;
const children: ChildProcess[] = [];
let rootRulesetBefore = '';

async function sh(cmd: string): Promise<string> {
  return (await run('sh', ['-c', cmd], { maxBuffer: 16 << 20 })).stdout;
}

async function canConnect(ns: string, ip: string, port: number): Promise<boolean> {
  try {
    await run('ip', ['netns', 'exec', ns, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${ip}/${port}`]);
    return true;
  } catch {
    return false;
  }
}

function daemon(ns: string, argv: string[]): void {
  const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'ignore' });
  children.push(c);
}

/** The CLI as the responder runs it: from iriso-resp, over SSH to the host. */
function irFromResponder(args: string[], timeoutMs = 60_000): Promise<IrRun> {
  const e = serviceEnv();
  const ssh = ['--host', `${e.IR_SSH_USER}@${HOST}:2022`, '-i', e.IR_SSH_KEY!, '--known-hosts', join(work, 'known_hosts'), '--sudo'];
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', NS.resp, process.execPath, BIN, ...args, ...ssh], { env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function json<T>(r: IrRun): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout.slice(0, 2000)} ${r.stderr.slice(0, 2000)}`);
  }
}

const hostRuleset = () => sh(`ip netns exec ${NS.host} nft list ruleset`);
const normalize = (s: string) => s.replace(/counter packets \d+ bytes \d+/g, 'counter');

async function waitFor(what: string, pred: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  const e = serviceEnv();
  await sh('command -v nft >/dev/null').catch(() => {
    throw new Error('nft is missing: apt-get install --no-install-recommends nftables');
  });
  rootRulesetBefore = await sh('nft list ruleset');
  work = mkdtempSync(join(tmpdir(), 'iriso-net-'));
  await sh(`for n in ${NS.host} ${NS.resp} ${NS.out}; do ip netns del $n 2>/dev/null; ip netns add $n && ip -n $n link set lo up; done
ip link add iriso-h1 type veth peer name iriso-r1 && ip link set iriso-h1 netns ${NS.host} && ip link set iriso-r1 netns ${NS.resp}
ip link add iriso-h2 type veth peer name iriso-o1 && ip link set iriso-h2 netns ${NS.host} && ip link set iriso-o1 netns ${NS.out}
ip -n ${NS.host} addr add ${HOST}/24 dev iriso-h1 && ip -n ${NS.resp} addr add 10.201.1.2/24 dev iriso-r1
ip -n ${NS.host} addr add 10.201.2.1/24 dev iriso-h2 && ip -n ${NS.out} addr add 10.201.2.2/24 dev iriso-o1
ip -n ${NS.host} link set iriso-h1 up && ip -n ${NS.host} link set iriso-h2 up && ip -n ${NS.resp} link set iriso-r1 up && ip -n ${NS.out} link set iriso-o1 up`);
  await sh(`ssh-keygen -q -t ed25519 -N '' -f ${work}/hostkey && echo "[${HOST}]:2022 $(cut -d' ' -f1-2 ${work}/hostkey.pub)" > ${work}/known_hosts && mkdir -p /run/sshd ${work}/www && echo ok > ${work}/www/index.html`);
  writeFileSync(
    join(work, 'sshd_config'),
    `Port 2022\nHostKey ${work}/hostkey\nPidFile ${work}/sshd.pid\nAuthorizedKeysFile .ssh/authorized_keys ${e.IR_SSH_AUTHORIZED_KEYS_DIR}/%u\nUsePAM no\nStrictModes no\nPasswordAuthentication no\nSubsystem sftp /usr/lib/openssh/sftp-server\n`,
  );
  daemon(NS.host, ['/usr/sbin/sshd', '-D', '-f', join(work, 'sshd_config'), '-E', join(work, 'sshd.log')]);
  daemon(NS.host, ['busybox', 'httpd', '-f', '-p', '8080', '-h', join(work, 'www')]);
  daemon(NS.out, ['busybox', 'httpd', '-f', '-p', '9090', '-h', join(work, 'www')]);
  // the host's own firewall: must come back exactly as it was
  await sh(`printf '%s\\n' 'table inet hostfw {' ' chain input { type filter hook input priority 0; policy accept; tcp dport 8080 counter accept; }' '}' | ip netns exec ${NS.host} nft -f -`);
  // an attacker's account with a key and a running process
  await sh(`id ${VICTIM} >/dev/null 2>&1 || useradd -m -s /bin/sh ${VICTIM}; usermod -p '*' ${VICTIM}; mkdir -p /home/${VICTIM}/.ssh && cp ${e.IR_SSH_PUBKEY} /home/${VICTIM}/.ssh/authorized_keys`);
  await waitFor('sshd and the web services', async () => (await canConnect(NS.resp, HOST, 2022)) && (await canConnect(NS.out, '10.201.2.1', 8080)) && (await canConnect(NS.host, '10.201.2.2', 9090)), 45_000);
}, 90_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const dir of existsSync(work) ? [join(work, 'quarantine'), join(work, 'confirmed')] : []) {
    try {
      const j = JSON.parse(readFileSync(join(dir, 'host-isolation.json'), 'utf8')) as { stateDir: string };
      // stop a watchdog a failed test left behind, then drop its state
      await sh(`touch ${j.stateDir}/restored; sleep 1.2; rm -rf ${j.stateDir}`);
    } catch {
      /* no journal */
    }
  }
  await sh(`pkill -KILL -u ${VICTIM}; userdel -r ${VICTIM} 2>/dev/null; for n in ${NS.host} ${NS.resp} ${NS.out}; do ip netns del $n 2>/dev/null; done; true`);
  rmSync(work, { recursive: true, force: true });
  // the test machine's own firewall was never touched
  expect(await sh('nft list ruleset')).toBe(rootRulesetBefore);
}, 60_000);

interface Contained {
  dryRun: boolean;
  record: { stateDir: string; deadline: string; allow: string[]; sshPorts: number[]; selfTest?: { ok: boolean; checks: { subject: string; ok: boolean; actual: string }[] } };
  seconds: number;
}

test('--dry-run prints the rules and changes nothing', async () => {
  const before = await hostRuleset();
  const r = await irFromResponder(['isolate', '--host-network', '--dry-run', '--case', join(work, 'dry')]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('table inet ir_quarantine');
  expect(r.stdout).toMatch(/elements = \{ 10\.201\.1\.2 \}/);
  expect(r.stdout).toMatch(/tcp dport \{ 2022 \}/);
  expect(await hostRuleset()).toBe(before);
  expect(existsSync(join(work, 'dry'))).toBe(false);
}, 60_000);

test('quarantine keeps the responder\'s SSH, drops the rest, locks and kills; the watchdog reverts it; restore undoes the rest', async () => {
  const before = await hostRuleset();
  const victim = spawn('setpriv', ['--reuid', VICTIM, '--regid', VICTIM, '--clear-groups', 'sleep', '600'], { stdio: 'ignore' });
  children.push(victim);
  const caseDir = join(work, 'quarantine');
  const t0 = Date.now();
  const r = await irFromResponder(['isolate', '--host-network', '--confirm-within', '15s', '--lock-user', VICTIM, '--kill-sessions', VICTIM, '--yes', '--json', '--case', caseDir]);
  const wall = (Date.now() - t0) / 1000;
  const out = json<Contained>(r);
  expect(r.code).toBe(0);
  expect(out.record.allow).toEqual(['10.201.1.2']);
  expect(out.record.sshPorts).toEqual([2022]);
  expect(out.record.selfTest?.ok).toBe(true);
  // it returned at once, before the deadline: the detached watchdog holds the revert
  expect(Date.now()).toBeLessThan(Date.parse(out.record.deadline));
  process.stdout.write(`isolate --host-network: ${wall} s wall, ${out.seconds} s in ir\n`);

  expect(await canConnect(NS.resp, HOST, 2022)).toBe(true);
  expect(await canConnect(NS.resp, HOST, 8080)).toBe(false);
  expect(await canConnect(NS.out, '10.201.2.1', 8080)).toBe(false);
  expect(await canConnect(NS.out, '10.201.2.1', 2022)).toBe(false);
  expect(await canConnect(NS.host, '10.201.2.2', 9090)).toBe(false);
  const shadow = (await sh(`getent shadow ${VICTIM}`)).split(':');
  expect(shadow[1]!.startsWith('!')).toBe(true);
  expect(shadow[7]).toBe('1');
  expect(existsSync(`/home/${VICTIM}/.ssh/authorized_keys`)).toBe(false);
  await waitFor('the victim process to die', async () => victim.exitCode !== null || victim.signalCode !== null, 5_000);

  // nobody confirmed: the detached watchdog brings the network back by itself, exactly as before
  await waitFor('the watchdog to revert', async () => canConnect(NS.out, '10.201.2.1', 8080), 45_000);
  expect(normalize(await hostRuleset())).toBe(normalize(before));
  expect(readFileSync(join(out.record.stateDir, 'events'), 'utf8')).toMatch(/reverted/);

  const late = await irFromResponder(['isolate', '--confirm', '--case', caseDir]);
  expect(late.code).toBe(1);
  expect(late.stdout).toMatch(/too late/);

  const rr = await irFromResponder(['restore', '--case', caseDir, '--yes', '--json']);
  expect(rr.code).toBe(0);
  expect(json<{ hostNetwork: { ok: boolean } }>(rr).hostNetwork.ok).toBe(true);
  const after = (await sh(`getent shadow ${VICTIM}`)).split(':');
  expect(after[1]).toBe('*');
  expect(after[7]).toBe('');
  expect(existsSync(`/home/${VICTIM}/.ssh/authorized_keys`)).toBe(true);
}, 120_000);

test('confirmed over a new connection, the quarantine outlives the deadline until ir restore', async () => {
  const before = await hostRuleset();
  const caseDir = join(work, 'confirmed');
  const r = await irFromResponder(['isolate', '--host-network', '--confirm-within', '15s', '--yes', '--json', '--case', caseDir]);
  expect(r.code).toBe(0);
  const out = json<Contained>(r);
  const c = await irFromResponder(['isolate', '--confirm', '--case', caseDir]);
  expect(c.code).toBe(0);
  expect(c.stdout).toMatch(/confirmed/);
  await new Promise((res) => setTimeout(res, Math.max(0, Date.parse(out.record.deadline) - Date.now()) + 3_000));
  expect(await canConnect(NS.out, '10.201.2.1', 8080)).toBe(false);
  expect(readFileSync(join(out.record.stateDir, 'events'), 'utf8')).not.toMatch(/reverted/);
  const rr = await irFromResponder(['restore', '--case', caseDir, '--yes']);
  expect(rr.code).toBe(0);
  expect(rr.stdout).toMatch(/identical to before/);
  expect(await canConnect(NS.out, '10.201.2.1', 8080)).toBe(true);
  expect(normalize(await hostRuleset())).toBe(normalize(before));
}, 120_000);

test('on a host that runs ufw: detected and said, ufw left alone, its allow rules do not open the quarantine', async () => {
  await sh('command -v ufw >/dev/null').catch(() => {
    throw new Error('ufw is missing: apt-get install --no-install-recommends ufw (test/services/start.sh installs it)');
  });
  const realConf = readFileSync('/etc/ufw/ufw.conf', 'utf8');
  // ufw writes ufw.conf and user.rules: a private copy, bind-mounted only in this command's mount namespace
  // (ip netns exec makes one); no sysctl.conf, so nothing but iriso-host's netfilter changes
  const etc = join(work, 'ufw-etc');
  await sh(`cp -a /etc/ufw ${etc} && : > ${etc}/sysctl.conf`);
  await sh(`ip netns exec ${NS.host} sh -c 'mount --bind ${etc} /etc/ufw && ufw --force enable && ufw allow 2022/tcp && ufw allow 8080/tcp' >/dev/null`);
  expect(await sh(`ip netns exec ${NS.host} ufw status`)).toMatch(/^Status: active/m);
  expect(readFileSync('/etc/ufw/ufw.conf', 'utf8')).toBe(realConf);
  await waitFor('ufw to let the outside reach 8080', async () => canConnect(NS.out, '10.201.2.1', 8080), 10_000);
  try {
    await quarantineUnderUfw(realConf);
  } finally {
    // the tests after this one see iriso-host without ufw again
    await sh(`ip netns exec ${NS.host} sh -c 'mount --bind ${etc} /etc/ufw && ufw --force disable' >/dev/null`);
  }
}, 120_000);

async function quarantineUnderUfw(realConf: string): Promise<void> {
  const before = await hostRuleset();
  expect(before).toMatch(/chain ufw-user-input/);

  const dry = await irFromResponder(['isolate', '--host-network', '--dry-run', '--case', join(work, 'ufw-dry')]);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toMatch(/ufw is active on .*ufw status: active.*leaves it alone/);

  const caseDir = join(work, 'ufw');
  const r = await irFromResponder(['isolate', '--host-network', '--confirm-within', '60s', '--yes', '--json', '--case', caseDir]);
  expect(r.code).toBe(0);
  const out = json<Contained & { record: { firewall: { ufwActive: boolean; ufwEvidence: string } } }>(r);
  expect(out.record.firewall.ufwActive).toBe(true);
  expect(out.record.firewall.ufwEvidence).toBe('ufw status: active');
  expect(out.record.selfTest?.ok).toBe(true);
  // ufw allows 8080 from anywhere; the quarantine's drop is final
  expect(await canConnect(NS.resp, HOST, 2022)).toBe(true);
  expect(await canConnect(NS.out, '10.201.2.1', 8080)).toBe(false);
  expect(await canConnect(NS.resp, HOST, 8080)).toBe(false);
  expect(await canConnect(NS.host, '10.201.2.2', 9090)).toBe(false);
  expect(await sh(`ip netns exec ${NS.host} ufw status`)).toMatch(/^Status: active/m);

  const rr = await irFromResponder(['restore', '--case', caseDir, '--yes']);
  expect(rr.code).toBe(0);
  expect(rr.stdout).toMatch(/identical to before/);
  // ufw's chains exactly as they were, and working again
  expect(normalize(await hostRuleset())).toBe(normalize(before));
  expect(await canConnect(NS.out, '10.201.2.1', 8080)).toBe(true);
  expect(readFileSync('/etc/ufw/ufw.conf', 'utf8')).toBe(realConf);
}

test('no responder address and no --allow: refuses, nothing changed', async () => {
  mkdirSync(join(work, 'noallow'), { recursive: true });
  const before = await hostRuleset();
  // run inside the host's namespace without SSH_CLIENT: nothing tells ir who the responder is
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  delete env.SSH_CLIENT;
  const r = await run('ip', ['netns', 'exec', NS.host, process.execPath, BIN, 'isolate', '--host-network', '--yes', '--case', join(work, 'noallow', 'c')], { env }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/no responder address/);
  expect(normalize(await hostRuleset())).toBe(normalize(before));
}, 60_000);
