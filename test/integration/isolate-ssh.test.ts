import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { sshArgs } from '../helpers/services.js';
import { expectIsolated, randomName, run, TestProject, type IsolateJson, useProject } from './isolate-project.js';

/**
 * ir isolate / ir restore over --host: ir runs here, docker runs on the "remote" host, reached as the
 * test services' `deploy` user with `sudo -n` (as the hardening guide logs in). The test sshd hands its sessions
 * DOCKER_HOST of the test dockerd (SetEnv; sudoers keeps it), so that is the host's docker. ir's own
 * environment points DOCKER_HOST at a socket nobody listens on: a local docker call would fail.
 * The project is our own copy of the fixture; the engine is asked directly whether the states changed.
 */
const p = new TestProject(randomName('irtest-isossh'));
const cases = mkdtempSync(join(tmpdir(), 'iriso-ssh-cases-'));
const noLocalDocker = { DOCKER_HOST: `unix://${join(cases, 'no-local-docker.sock')}`, DOCKER_CONFIG: join(cases, 'no-docker-config') };

useProject(p, cases);

interface Journal {
  host: string;
  mode: string;
  compose: { flavor: string; argv: string[] } | null;
  actions: { kind: string; argv: string[]; ok: boolean }[];
  restores: { check: { ok: boolean } }[];
}

test('--dry-run over ssh prints the plan from the remote engine and changes nothing', async () => {
  const before = await p.states();
  const r = await runIr(['isolate', ...sshArgs(), '-p', p.name, '--mode', 'network', '--dry-run', '--json'], { env: noLocalDocker });
  expect(r.code).toBe(0);
  const out = parseJson<IsolateJson>(r);
  expect(out.dryRun).toBe(true);
  // web on edge + inner, cache on inner: three disconnects
  expect(out.plan.map((a) => a.argv.slice(0, 3).join(' '))).toEqual(Array(3).fill('docker network disconnect'));
  expect(await p.states()).toEqual(before);
});

describe.each(['pause', 'network', 'stop', 'down'])('over --host deploy@127.0.0.1 --sudo, mode %s', (mode) => {
  test('isolates on the remote engine, proves it, restore brings it back', async () => {
    const before = await p.states();
    const caseDir = join(cases, mode);
    const t0 = Date.now();
    const r = await runIr(['isolate', ...sshArgs(), '-p', p.name, '--mode', mode, '--yes', '--json', '--case', caseDir], { env: noLocalDocker, timeoutMs: 180_000 });
    const out = parseJson<IsolateJson>(r);
    expect(r.code).toBe(0);
    expect(out.selfTest?.ok).toBe(true);
    process.stdout.write(`isolate over ssh --mode ${mode}: ${(Date.now() - t0) / 1000} s wall, ${out.seconds.total} s in ir (snapshot ${out.seconds.snapshot} s, act ${out.seconds.act} s, self-test ${out.seconds.selfTest} s)\n`);
    // the engine itself says so
    const isolated = await p.states();
    expectIsolated[mode]!(isolated);
    if (mode !== 'down') expect(Object.keys(isolated).sort()).toEqual(Object.keys(before).sort());

    const j = JSON.parse(readFileSync(join(caseDir, 'isolation.json'), 'utf8')) as Journal;
    expect(j.host).not.toBe('localhost');
    expect(j.mode).toBe(mode);
    expect(j.actions.length).toBeGreaterThan(0);
    expect(j.actions.every((a) => a.ok)).toBe(true);
    if (mode === 'down') {
      expect(j.compose?.flavor).toBe('v2');
      // stopped first, the layers copied, only then removed
      expect(j.actions[j.actions.length - 1]!.argv).toEqual(['docker', 'compose', '-p', p.name, '-f', p.file, '--project-directory', p.dir, 'down']);
      expect(j.actions.slice(0, -1).every((a) => a.argv[1] === 'update' || a.argv[1] === 'stop')).toBe(true);
    }
    // the snapshot was taken through the ssh target: each container's logs and writable layer are in it
    const { stdout: list } = await run('tar', ['tzf', out.snapshot!.path]);
    for (const name of Object.keys(before)) {
      expect(list).toContain(`containers/${name}/logs.stdout.log`);
      expect(list).toContain(`docker/${p.name}/${name}/layer-changes.jsonl`);
    }
    // the web container wrote /tmp/started when it started: read from its layer over sftp
    expect(list).toContain(`docker/${p.name}/${Object.keys(before).find((n) => n.includes('web'))}/layer/tmp/started`);

    const rr = await runIr(['restore', ...sshArgs(), '--case', caseDir, '--yes', '--json'], { env: noLocalDocker, timeoutMs: 180_000 });
    expect(rr.code).toBe(0);
    expect(parseJson<{ containers: { record: { check: { ok: boolean } } } }>(rr).containers.record.check.ok).toBe(true);
    await p.waitHealthy();
    const after = await p.states();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [name, c] of Object.entries(after)) {
      expect(c.networks).toEqual(before[name]!.networks);
      expect(c.restart).toBe(before[name]!.restart);
      // down recreates the containers (new ids); every other mode keeps them
      if (mode !== 'down') expect(c.id).toBe(before[name]!.id);
    }
  }, 240_000);
});
