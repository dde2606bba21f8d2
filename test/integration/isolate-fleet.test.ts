import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { serviceEnv } from '../helpers/services.js';
import { expectIsolated, randomName, TestProject, useProject, type IsolateJson } from './isolate-project.js';

/**
 * isolate and restore on a fleet: the live test sshd (docker through it, as deploy with --sudo) and a
 * dead host. Asked once up front, one case directory per host, the dead host a row, exit 2.
 */
const e = serviceEnv();
const live = `deploy@127.0.0.1:${e.IR_SSH_PORT}`;
const fleet = [live, 'deploy@127.0.0.1:1'].flatMap((h) => ['--host', h]);
const ssh = ['-i', e.IR_SSH_KEY!, '--known-hosts', e.IR_KNOWN_HOSTS!, '--sudo'];
const T = 300_000;
const project = new TestProject(randomName('irfleet'));
const work = mkdtempSync(join(tmpdir(), 'ir-isofleet-'));
useProject(project, work);

interface Rows<R> {
  case: string;
  hosts: { host: string; status: string; exitCode: number; error?: string; result?: R }[];
}

test('pause on a fleet, then restore from the per-host journals', async () => {
  const caseDir = join(work, 'case');
  const before = await project.states();
  const noTty = await runIr(['isolate', ...fleet, ...ssh, '--project', project.name, '--mode', 'pause', '--case', caseDir]);
  expect(noTty.code).toBe(2);
  expect(noTty.stderr).toMatch(/without a terminal/);
  expect(await project.states()).toEqual(before);

  const iso = await runIr(['isolate', ...fleet, ...ssh, '--project', project.name, '--mode', 'pause', '--case', caseDir, '--yes', '--json'], { timeoutMs: T });
  expect(iso.code).toBe(2); // the dead host
  const rows = parseJson<Rows<IsolateJson>>(iso);
  expect(rows.case).toBe(caseDir);
  expect(rows.hosts[0]).toMatchObject({ host: live, status: 'ok', exitCode: 0 });
  expect(rows.hosts[0]!.result!.selfTest!.ok).toBe(true);
  expect(rows.hosts[0]!.result!.snapshot!.files).toBeGreaterThan(0);
  expect(rows.hosts[1]).toMatchObject({ status: 'error', error: expect.stringMatching(/connection refused/) });
  const hostCase = join(caseDir, 'hosts', `deploy_127.0.0.1_${e.IR_SSH_PORT}`);
  expect(rows.hosts[0]!.result!.case).toBe(hostCase);
  expect(existsSync(join(hostCase, 'isolation.json'))).toBe(true);
  expectIsolated.pause!(await project.states());

  const res = await runIr(['restore', ...fleet, ...ssh, '--case', caseDir, '--yes', '--json'], { timeoutMs: T });
  expect(res.code).toBe(2);
  const r = parseJson<Rows<{ containers?: { record?: { check: { ok: boolean } } } }>>(res);
  expect(r.hosts[0]).toMatchObject({ status: 'ok' });
  expect(r.hosts[0]!.result!.containers!.record!.check.ok).toBe(true);
  expect(r.hosts[1]).toMatchObject({ status: 'error', exitCode: 2 });
  await project.waitHealthy();

  // a --case with no journal of any of these hosts: one clear line before anything connects
  const wrong = await runIr(['restore', ...fleet, ...ssh, '--case', work, '--yes']);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr.trim().split('\n')).toEqual([expect.stringMatching(/holds no isolation journal of these hosts/)]);
}, T);
