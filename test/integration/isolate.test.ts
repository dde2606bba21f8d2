import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { dockerEnv } from '../helpers/services.js';
import { docker, expectIsolated, randomName, run, TestProject, type IsolateJson, useProject } from './isolate-project.js';

/**
 * ir isolate / ir restore against the real dockerd of test/services, on a Compose project of our own
 * (a copy of test/fixtures/isolate/compose.yaml under -p irtest-iso<random>), so the shared `irtest`
 * project is never touched. Two services, two networks, one of them internal.
 */
const p = new TestProject(randomName('irtest-iso'));
const project = p.name;
const dir = p.dir;
const file = p.file;
const states = () => p.states();
const waitHealthy = () => p.waitHealthy();

const cases = mkdtempSync(join(tmpdir(), 'iriso-cases-'));
useProject(p, cases);

test('--dry-run prints the plan and changes nothing', async () => {
  const before = await states();
  for (const mode of ['down', 'stop', 'pause', 'network']) {
    const r = await runIr(['isolate', '-p', project, '--mode', mode, '--dry-run', '--json', '--case', join(cases, `dry-${mode}`)], { env: dockerEnv() });
    expect(r.code).toBe(0);
    const out = parseJson<IsolateJson>(r);
    expect(out.dryRun).toBe(true);
    expect(out.plan.length).toBeGreaterThan(0);
  }
  const human = await runIr(['isolate', '-p', project, '--mode', 'network', '--dry-run'], { env: dockerEnv() });
  expect(human.stdout).toMatch(/docker network disconnect \S+_inner/);
  expect(human.stdout).toContain('dry run: nothing was changed');
  expect(await states()).toEqual(before);
});

test('without a terminal and without --yes it refuses and changes nothing', async () => {
  const before = await states();
  const r = await runIr(['isolate', '-p', project, '--mode', 'stop', '--case', join(cases, 'refused')], { env: dockerEnv() });
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/--yes/);
  expect(await states()).toEqual(before);
});

describe.each(['pause', 'network', 'stop', 'down'])('mode %s', (mode) => {
  test('isolates, proves it, and restore brings the project back', async () => {
    const before = await states();
    const caseDir = join(cases, mode);
    const t0 = Date.now();
    const r = await runIr(['isolate', '-p', project, '--mode', mode, '--yes', '--json', '--case', caseDir], { env: dockerEnv() });
    const out = parseJson<IsolateJson>(r);
    expect(r.code).toBe(0);
    expect(out.selfTest?.ok).toBe(true);
    expectIsolated[mode]!(await states());
    process.stdout.write(`isolate --mode ${mode}: ${(Date.now() - t0) / 1000} s wall, ${out.seconds.total} s in ir (act ${out.seconds.act} s, self-test ${out.seconds.selfTest} s)\n`);

    // the snapshot holds each container's logs, stdout and stderr apart
    const { stdout: list } = await run('tar', ['tzf', out.snapshot!.path]);
    for (const name of Object.keys(before)) {
      expect(list).toContain(`containers/${name}/logs.stdout.log`);
      expect(list).toContain(`containers/${name}/logs.stderr.log`);
      expect(list).toContain(`containers/${name}/inspect.json`);
    }
    const cacheName = Object.keys(before).find((n) => n.includes('cache'))!;
    const { stdout: errLog } = await run('tar', ['xzf', out.snapshot!.path, '-O', `containers/${cacheName}/logs.stderr.log`]);
    expect(errLog).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z cache note$/m);

    const rr = await runIr(['restore', '--case', caseDir, '--yes', '--json'], { env: dockerEnv() });
    expect(rr.code).toBe(0);
    const restored = parseJson<{ containers: { record: { check: { ok: boolean } } } }>(rr);
    expect(restored.containers.record.check.ok).toBe(true);
    await waitHealthy();
    const after = await states();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [name, c] of Object.entries(after)) expect(c.networks).toEqual(before[name]!.networks);
    if (mode === 'network') {
      // the same aliases come back: the internal network still resolves the cache by its alias
      await docker('exec', Object.keys(after).find((n) => n.includes('web'))!, 'nslookup', 'kv');
    }
  }, 180_000);
});

describe('one clear error line and exit 2', () => {
  test('a project that does not exist', async () => {
    const r = await runIr(['isolate', '-p', 'no-such-project-iriso', '--dry-run'], { env: dockerEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no Compose project named no-such-project-iriso/);
  });

  test('a stopped docker daemon (nothing listens on the socket)', async () => {
    const r = await runIr(['isolate', '-p', project, '--dry-run'], { env: { ...dockerEnv(), DOCKER_HOST: `unix://${join(cases, 'stopped-dockerd.sock')}` } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Docker daemon .* does not answer/);
  });

  test('a compose file that does not exist, one that is not valid, one no project runs from', async () => {
    const missing = await runIr(['isolate', '-f', join(dir, 'nope.yaml'), '--dry-run'], { env: dockerEnv() });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/does not exist/);

    const bad = join(cases, 'bad-compose.yaml');
    writeFileSync(bad, 'services:\n  web:\n    image: [unclosed\n');
    const invalid = await runIr(['isolate', '-f', bad, '--dry-run'], { env: dockerEnv() });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr).toMatch(/not valid/);

    const other = join(cases, 'other-compose.yaml');
    writeFileSync(other, 'services:\n  x:\n    image: ir-busybox:test\n');
    const unused = await runIr(['isolate', '-f', other, '--dry-run'], { env: dockerEnv() });
    expect(unused.code).toBe(2);
    expect(unused.stderr).toMatch(/no running Compose project was started from/);
  });

  test('-f and --dir find the project from its labels', async () => {
    for (const args of [['-f', file], ['--dir', dir]]) {
      const r = await runIr(['isolate', ...args, '--mode', 'pause', '--dry-run', '--json'], { env: dockerEnv() });
      expect(r.code).toBe(0);
      expect(parseJson<{ project: { name: string } }>(r).project.name).toBe(project);
    }
  });

  test('several projects running and none named: lists them, exit 2 with a hint', async () => {
    const r = await runIr(['isolate', '--dry-run'], { env: dockerEnv() });
    // our project runs; the shared irtest usually does too
    const running = (await docker('ps', '--format', '{{.Label "com.docker.compose.project"}}')).split('\n').filter(Boolean);
    if (new Set(running).size > 1) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(project);
      expect(r.stderr).toMatch(/--project/);
    } else {
      expect(r.code).toBe(0);
    }
  });
});
