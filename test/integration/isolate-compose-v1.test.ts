import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { dockerEnv, serviceEnv } from '../helpers/services.js';
import { docker, expectIsolated, localDockerEnv, randomName, run, TestProject, type IsolateJson } from './isolate-project.js';

/**
 * The docker-compose v1 fallback, on a host whose docker CLI has no compose plugin: a `docker` first on
 * PATH that refuses the `compose` subcommand the way the CLI does without the plugin (and runs the real
 * docker for everything else), and Debian's real python docker-compose 1.29 (test/services installs it).
 * The project itself is brought up by v1, as on such a host.
 */
const p = new TestProject(randomName('irtest-isov1'), ['docker-compose']);
const work = mkdtempSync(join(tmpdir(), 'iriso-v1-'));
const bin = join(work, 'bin');
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  serviceEnv();
  const realDocker = execFileSync('sh', ['-c', 'command -v docker']).toString().trim();
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'docker'),
    `#!/bin/sh\n# no compose plugin on this host: the docker CLI's own answer\nif [ "$1" = compose ]; then echo "docker: 'compose' is not a docker command." >&2; echo "See 'docker --help'" >&2; exit 1; fi\nexec ${realDocker} "$@"\n`,
  );
  chmodSync(join(bin, 'docker'), 0o755);
  env = { ...dockerEnv(), PATH: `${bin}:${process.env.PATH}` };
  // preconditions: `docker compose` is really unavailable here, `docker-compose` is the real v1
  await expect(run('docker', ['compose', 'version'], { env: { ...localDockerEnv, ...env } })).rejects.toMatchObject({ stderr: expect.stringMatching(/not a docker command/) });
  expect((await run('docker-compose', ['version', '--short'], { env: { ...localDockerEnv, ...env } })).stdout).toMatch(/^1\./);
  await p.up();
}, 180_000);

afterAll(async () => {
  await p.remove();
  rmSync(work, { recursive: true, force: true });
}, 120_000);

interface Journal {
  compose: { flavor: string; argv: string[] } | null;
  actions: { kind: string; argv: string[]; ok: boolean }[];
  restores: { actions: { kind: string; argv: string[]; ok: boolean }[]; check: { ok: boolean } }[];
}

test('mode down through docker-compose v1: isolates, the journal says v1, restore brings the project back', async () => {
  const before = await p.states();
  // containers made by v1 (its labels), found by ir from those labels
  const v1Label = (await docker('inspect', '--format', '{{index .Config.Labels "com.docker.compose.version"}}', Object.values(before)[0]!.id)).trim();
  expect(v1Label).toMatch(/^1\./);

  const dry = await runIr(['isolate', '-p', p.name, '--mode', 'down', '--dry-run'], { env });
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain(`docker-compose -p ${p.name} -f ${p.file} --project-directory ${p.dir} down`);
  expect(await p.states()).toEqual(before);

  const caseDir = join(work, 'down');
  const r = await runIr(['isolate', '-p', p.name, '--mode', 'down', '--yes', '--json', '--case', caseDir], { env, timeoutMs: 180_000 });
  const out = parseJson<IsolateJson>(r);
  expect(r.code).toBe(0);
  expect(out.selfTest?.ok).toBe(true);
  expectIsolated.down!(await p.states());
  const j = JSON.parse(readFileSync(join(caseDir, 'isolation.json'), 'utf8')) as Journal;
  expect(j.compose?.flavor).toBe('v1');
  // stopped first (their layers copied into the snapshot), only then removed by v1
  expect(j.actions.map((a) => a.kind)).toEqual(['update-restart', 'stop', 'update-restart', 'stop', 'compose-down']);
  expect(j.actions.every((a) => a.ok)).toBe(true);
  expect(j.actions[j.actions.length - 1]).toEqual(expect.objectContaining({ kind: 'compose-down', ok: true, argv: ['docker-compose', '-p', p.name, '-f', p.file, '--project-directory', p.dir, 'down'] }));

  const rr = await runIr(['restore', '--case', caseDir, '--yes', '--json'], { env, timeoutMs: 180_000 });
  expect(rr.code).toBe(0);
  await p.waitHealthy();
  const after = await p.states();
  expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
  for (const [name, c] of Object.entries(after)) expect(c.networks).toEqual(before[name]!.networks);
  const j2 = JSON.parse(readFileSync(join(caseDir, 'isolation.json'), 'utf8')) as Journal;
  expect(j2.restores).toHaveLength(1);
  expect(j2.restores[0]!.check.ok).toBe(true);
  expect(j2.restores[0]!.actions).toEqual([expect.objectContaining({ kind: 'compose-up', ok: true, argv: ['docker-compose', '-p', p.name, '-f', p.file, '--project-directory', p.dir, 'up', '-d'] })]);
  // recreated by v1 again
  const relabel = (await docker('inspect', '--format', '{{index .Config.Labels "com.docker.compose.version"}}', Object.values(after)[0]!.id)).trim();
  expect(relabel).toMatch(/^1\./);
}, 300_000);

test('neither docker compose nor docker-compose: mode down is refused with a hint, nothing changed', async () => {
  const before = await p.states();
  // a PATH where docker refuses compose and no docker-compose exists (the real docker by absolute path in the wrapper)
  const r = await runIr(['isolate', '-p', p.name, '--mode', 'down', '--yes', '--case', join(work, 'none')], { env: { ...env, PATH: `${bin}:/nonexistent` } });
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/neither docker compose nor docker-compose/);
  expect(await p.states()).toEqual(before);
});
