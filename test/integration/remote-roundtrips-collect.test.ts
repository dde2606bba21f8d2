import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, openFiles, parseJson, runIr } from '../helpers/cli.js';
import { irTraced, startLatencyProxy, type LatencyProxy, type Trips } from '../helpers/latency-proxy.js';
import { serviceEnv } from '../helpers/services.js';

/**
 * collect over `--host` in a bounded number of commands (issue 16), counted by the ssh target
 * (IR_TRACE_ROUNDTRIPS) through bench/fleet-proxy.mjs: the Docker part asks the engine in batches
 * (ps, info, version and compose version in the first one; each container's inspect, diff and top, the
 * compose config and the inventory's inspect in one more), never the same query twice, and runs the
 * containers' logs side by side. Run one at a time, each of those commands was a round trip of its own:
 * 27 commands on the test host instead of 13. Per file (IR_BATCH=0) and batched, the evidence holds
 * the same entries, and both verify.
 */
const e = serviceEnv();
const PROJECT = e.IR_COMPOSE_PROJECT!;
let work: string;
let proxy: LatencyProxy;

interface Collected {
  path: string;
  files: number;
  containers: number;
  processes: number;
}

/** One collect of the test project as deploy --sudo, through the proxy or directly, with its round trips. */
async function collect(name: string, opts: { direct?: boolean; batch?: boolean } = {}): Promise<{ res: Collected; trips: Trips }> {
  const out = join(work, name);
  mkdirSync(out);
  const r = await irTraced(proxy, work, ['collect', '--out', out, '--project', PROJECT, '--exclude', '/var/log/journal', '--json'], opts);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { res: parseJson<Collected>(r), trips: r.trips };
}

/** The archive unpacked: its manifest, after `ir evidence verify` and `sha256sum -c` agreed on it. */
async function verified(archive: string, name: string): Promise<{ files: { path: string; readBy?: string; command?: unknown }[] }> {
  expect((await runIr(['evidence', 'verify', archive])).code).toBe(0);
  const x = join(work, `x-${name}`);
  mkdirSync(x);
  execFileSync('tar', ['-xzf', archive, '-C', x]);
  expect(execFileSync('sha256sum', ['--quiet', '-c', 'hashes.sha256'], { cwd: x }).toString()).toBe('');
  return JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8')) as { files: { path: string; readBy?: string }[] };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ir-remote-collect-'));
  // 20 ms: enough to make a request cost something, short enough for a test
  proxy = await startLatencyProxy(work, 20);
});
afterAll(() => {
  proxy?.stop();
  rmSync(work, { recursive: true, force: true });
});

/**
 * Entries whose set does not depend on what other tests do meanwhile: not their files in /tmp, not a
 * container's layer, not the processes (one with a deleted executable may start or end between runs).
 */
const stable = (p: string) => (!p.startsWith('fs/') || p.startsWith('fs/etc/')) && !/\/layer(\/|-changes)/.test(p) && !p.startsWith('proc/') && p !== 'bodyfile.txt';
/** Each process collected is its body and four /proc files. */
const processFiles = (x: { files: { path: string }[] }) => new Set(x.files.filter((f) => f.path.startsWith('proc/')).map((f) => f.path.split('/').slice(2).join('/')));

test('collect with Docker: a bounded number of commands, whatever the number of containers; the same entries as per file', async () => {
  const batched = await collect('batched');
  const n = batched.res.containers;
  expect(n).toBeGreaterThanOrEqual(2);
  // connect and the host's name, the batch with its follow-up shell and two command shells, journalctl,
  // the sftp session (process bodies, a container's tmpfs), the second batch (the containers'
  // inspect, diff and top, compose config), the bodyfile's find; per container its logs (streamed,
  // a channel each) and the layer's extended attributes. One at a time, the engine's queries (6), each
  // container's three views and the compose config would add their own commands.
  expect(batched.trips.execs).toBeLessThanOrEqual(10 + 2 * n);
  expect(batched.trips.channels).toBeLessThanOrEqual(10 + n);
  expect(batched.trips.batches).toBeLessThanOrEqual(2 + 24);
  const m = await verified(batched.res.path, 'batched');
  // the Docker commands' outputs are recorded as commands, with their argv, status and times
  for (const v of ['inspect.json', 'diff.txt', 'top.txt', 'logs']) expect(m.files.filter((f) => f.path.startsWith(`docker/${PROJECT}/`) && f.path.endsWith(`/${v}`) && f.command).length).toBe(n);
  expect(m.files.filter((f) => f.path.startsWith('docker/engine/') && f.command).map((f) => f.path).sort()).toEqual(['docker/engine/info.json', 'docker/engine/ps.jsonl', 'docker/engine/version.json']);
  expect(m.files.find((f) => f.path === `docker/${PROJECT}/compose-config.yaml`)?.command).toBeTruthy();
  expect(m.files.find((f) => f.path === 'fs/etc/passwd')?.readBy).toBe('ssh batch (tar)');

  const perFile = await collect('per-file', { direct: true, batch: false });
  expect(perFile.trips.batches).toBe(0);
  expect(perFile.res.containers).toBe(n);
  const p = await verified(perFile.res.path, 'per-file');
  const paths = (x: { files: { path: string }[] }) => x.files.map((f) => f.path).filter(stable).sort();
  expect(paths(m).length).toBeGreaterThan(100);
  expect(paths(m)).toEqual(paths(p));
  for (const x of [m, p]) expect([[], ['cmdline', 'environ', 'exe', 'maps', 'status']]).toContainEqual([...processFiles(x)].sort());
  expect(readdirSync(join(work, 'batched')).filter((f) => f.includes('.spool') || f.startsWith('.ir-batch'))).toEqual([]);
}, 900_000);

test('a collect over ssh killed outright (SIGKILL) leaves only its .partial: the batch\'s copy of the host\'s files and the spools have no name once open', async () => {
  const out = join(work, 'killed');
  mkdirSync(out);
  const ssh = ['--host', `deploy@127.0.0.1:${e.IR_SSH_PORT}`, '-i', e.IR_SSH_KEY!, '--known-hosts', proxy.knownHosts, '--sudo'];
  const child = spawn(process.execPath, [BIN, 'collect', '--out', out, '--project', PROJECT, ...ssh], { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
  // killed once the batch's spool and a spool of the writer (the journal's, the bodyfile listing's) are open
  let seen: string[] = [];
  for (let i = 0; i < 600; i++) {
    seen = openFiles(child.pid!).filter((l) => l.startsWith(out));
    if (seen.some((l) => l.includes('/.ir-batch-')) && seen.some((l) => l.includes('.spool'))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  // open, and already without a name
  expect(seen.filter((l) => l.includes('/.ir-batch-') || l.includes('.spool')).every((l) => l.endsWith(' (deleted)'))).toBe(true);
  expect(seen.some((l) => l.includes('/.ir-batch-'))).toBe(true);
  const left = readdirSync(out);
  expect(left).toHaveLength(1);
  expect(left[0]).toMatch(/\.tar\.gz\.partial$/);
}, 120_000);
