import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import { serviceEnv } from '../helpers/services.js';
import { startFleet, type TestFleet } from '../fixtures/playbook/fleet-sshd.js';
import type { PlaybookRun } from '../../src/playbook/runner.js';

/**
 * The hygiene playbook on a fleet of real sshd processes: two copies of the test sshd on their own ports,
 * the sshd of the test network namespace (its own address), one whose host key changed, and one port
 * with nothing listening. The two bad hosts are
 * reported and never stop the good ones; the exit code is the worst of all.
 */
let fleet: TestFleet;
let work: string;
let inventory: string;
let authLog: string;

beforeAll(async () => {
  const e = serviceEnv();
  fleet = await startFleet({ live: 2, changedKey: 1, dead: 1 });
  appendFileSync(fleet.knownHosts, readFileSync(e.IR_KNOWN_HOSTS!, 'utf8'));
  work = mkdtempSync(join(tmpdir(), 'ir-fleet-run-'));
  authLog = join(work, 'auth.log');
  copyFileSync(join(ROOT, 'test/fixtures/authlog/compromise.log'), authLog);
  chmodSync(authLog, 0o644);
  chmodSync(work, 0o755);
  inventory = join(work, 'inventory.ini');
  writeFileSync(
    inventory,
    `[web]
web1 ansible_host=127.0.0.1 ansible_port=${fleet.live[0]}
web2 ansible_host=127.0.0.1 ansible_port=${fleet.live[1]}
remote ansible_host=${e.IR_REMOTE_HOST} ansible_port=${e.IR_REMOTE_PORT}

[suspect]
rekeyed ansible_host=127.0.0.1 ansible_port=${fleet.changedKey[0]}
dead ansible_host=127.0.0.1 ansible_port=${fleet.dead[0]}

[all:vars]
ansible_user=deploy
`,
  );
}, 60_000);

afterAll(() => {
  fleet?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function fleetArgs(): string[] {
  const e = serviceEnv();
  return ['--hosts', inventory, '-i', e.IR_SSH_KEY!, '--known-hosts', fleet.knownHosts, '--sudo', '--connect-timeout', '5', '--set', `auth_log=${authLog}`, '--set', `f2b_socket=${e.IR_F2B_SOCKET}`];
}

test('hygiene on five hosts: three run, a changed key and a dead host are reported, exit 2', async () => {
  const caseDir = join(work, 'cases', 'first');
  const r = await runIr(['playbook', 'run', 'hygiene', ...fleetArgs(), '--concurrency', '4', '--case', caseDir, '--json'], { cwd: work, timeoutMs: 560_000 });
  const run = parseJson<PlaybookRun>(r);
  expect(r.code).toBe(2);
  expect(run.exitCode).toBe(2);
  const by = Object.fromEntries(run.hosts.map((h) => [h.label, h]));
  expect(Object.keys(by)).toEqual(['web1', 'web2', 'remote', 'rekeyed', 'dead']);
  for (const ok of ['web1', 'web2', 'remote']) {
    expect(by[ok]!.status).toBe('findings');
    expect(by[ok]!.steps.map((s) => s.status)).toEqual(['findings', 'findings', 'findings', 'findings', 'ok']);
    expect(existsSync(join(caseDir, 'hosts', ok, 'steps', '02-persistence-scan.json'))).toBe(true);
    expect(existsSync(join(caseDir, 'hosts', ok, 'sweep-baseline.json'))).toBe(true);
  }
  expect(by.rekeyed).toMatchObject({ status: 'unreachable', exitCode: 2 });
  expect(by.rekeyed!.error).toMatch(/HOST KEY HAS CHANGED/);
  expect(by.dead).toMatchObject({ status: 'unreachable', exitCode: 2 });
  expect(by.dead!.error).toMatch(/refused|ECONNREFUSED|connect/i);
  const md = readFileSync(join(caseDir, 'report.md'), 'utf8');
  expect(md).toMatch(/Hosts: web1 \(findings\), web2 \(findings\), remote \(findings\), rekeyed \(unreachable\), dead \(unreachable\)/);
  const journal = readFileSync(join(caseDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; host?: string });
  expect(journal.filter((e) => e.event === 'host-unreachable').map((e) => e.host).sort()).toEqual(['dead', 'rekeyed']);

  // the next run of one group: auth since the last run, sweep against the last run's baseline
  const second = join(work, 'cases', 'second');
  const r2 = await runIr(['playbook', 'run', 'hygiene', ...fleetArgs(), '--limit', 'web1', '--case', second, '--json'], { cwd: work, timeoutMs: 300_000 });
  const run2 = parseJson<PlaybookRun>(r2);
  expect(run2.hosts.map((h) => h.label)).toEqual(['web1']);
  const steps = run2.hosts[0]!.steps;
  expect(steps[0]!.argv).toContain(`--baseline=${join(caseDir, 'hosts', 'web1', 'sweep-baseline.json')}`);
  expect(steps[3]!.argv.find((a) => a.startsWith('--since='))).toMatch(/^--since=\d{4}-\d\d-\d\dT/);
  const findings = JSON.parse(readFileSync(join(second, 'findings.json'), 'utf8')) as { findings: { source: string; drift?: string }[] };
  const scan = findings.findings.filter((f) => f.source.startsWith('persistence-scan/'));
  expect(scan.length).toBeGreaterThan(0);
  expect(scan.every((f) => f.drift !== undefined)).toBe(true);
}, 900_000);

test('repeated --host and a dry run: the plan per host, nothing connected or written', async () => {
  const e = serviceEnv();
  const dry = mkdtempSync(join(work, 'dry-'));
  const r = await runIr(['playbook', 'run', 'incident', '--host', `deploy@127.0.0.1:${fleet.live[0]}`, '--host', 'deploy@127.0.0.1:1', '-i', e.IR_SSH_KEY!, '--sudo', '--set', 'project=shop', '--dry-run'], { cwd: dry });
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`host deploy@127.0.0.1:${fleet.live[0]}`);
  expect(r.stdout).toContain('host deploy@127.0.0.1:1');
  expect(r.stdout).toMatch(/ir isolate --project=shop --mode=pause --case=\S+\/hosts\/deploy_127\.0\.0\.1_1 --host=deploy@127\.0\.0\.1:1 /);
  expect(existsSync(join(dry, 'cases'))).toBe(false);
});
