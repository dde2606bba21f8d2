import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import { dockerEnv, serviceEnv, sshArgs } from '../helpers/services.js';
import type { PlaybookRun } from '../../src/playbook/runner.js';
import { Chromium } from './playbook-chromium.js';

/**
 * `ir playbook` end to end: validate and list through the real command catalog, the incident playbook's
 * dry run over the test sshd, then the whole incident playbook on this machine against the real dockerd
 * (a Compose project of our own, -p irtest-pb<random>, removed afterwards) and fail2ban-server, a resume,
 * and report.html rendered by headless Chromium.
 */
const run = promisify(execFile);
const env = { ...process.env, ...dockerEnv() } as NodeJS.ProcessEnv;
const project = `irtest-pb${Math.random().toString(36).slice(2, 8)}`;
let work: string;
let composeFile: string;
let authLog: string;

async function compose(...args: string[]): Promise<string> {
  return (await run('docker', ['compose', '-p', project, '-f', composeFile, ...args], { env, cwd: work })).stdout;
}

beforeAll(async () => {
  const e = serviceEnv();
  work = mkdtempSync(join(tmpdir(), 'ir-pb-'));
  chmodSync(work, 0o755);
  composeFile = join(work, 'compose.yaml');
  copyFileSync(e.IR_COMPOSE_FILE!, composeFile);
  authLog = join(work, 'auth.log');
  copyFileSync(join(ROOT, 'test/fixtures/authlog/compromise.log'), authLog);
  await compose('up', '-d');
}, 120_000);

afterAll(async () => {
  if (composeFile) await compose('down', '-t', '1', '--remove-orphans').catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

test('validate and list go through the real commands', async () => {
  for (const f of ['playbooks/incident.yaml', 'playbooks/hygiene.yaml']) {
    const r = await runIr(['playbook', 'validate', f]);
    expect(`${r.code} ${r.stdout}`).toBe(`0 ${f}: valid\n`);
  }
  const bad = await runIr(['playbook', 'validate', 'test/fixtures/playbook/bad.yaml']);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain('test/fixtures/playbook/bad.yaml:13:14: steps[1].command: unknown command colect: expected one of auth-review, ban, collect,');
  const missing = await runIr(['playbook', 'run', 'nope']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/^ir playbook[: ]run: no playbook named nope \(known: hygiene, incident/);
  const list = parseJson<{ playbooks: { name: string; valid: boolean }[] }>(await runIr(['playbook', 'list', '--json']));
  expect(list.playbooks.filter((p) => p.valid).map((p) => p.name)).toEqual(expect.arrayContaining(['hygiene', 'incident']));
});

test('incident --dry-run over the test sshd prints every step and its command, changes nothing', async () => {
  const dir = mkdtempSync(join(work, 'dry-'));
  const r = await runIr(['playbook', 'run', 'incident', ...sshArgs(), '--set', 'project=shop', '--dry-run'], { cwd: dir });
  expect(r.code).toBe(0);
  const e = serviceEnv();
  for (const step of ['1. collect:', '2. isolate:', '3. persistence-scan:', '4. fail2ban:', '5. auth-review:', '6. report:']) expect(r.stdout).toContain(step);
  expect(r.stdout).toContain(`ir isolate --project=shop --mode=pause --case=${dir}/cases/incident-`);
  expect(r.stdout).toContain(`--host=${e.IR_SSH_USER}@${e.IR_SSH_HOST}:${e.IR_SSH_PORT}`);
  expect(readdirSync(dir)).toEqual([]);
  // without a terminal, a playbook that changes the host needs --yes
  const no = await runIr(['playbook', 'run', 'incident', '--set', `project=${project}`], { cwd: dir });
  expect(no.code).toBe(2);
  expect(no.stderr).toMatch(/isolate will change this machine: give --yes/);
  expect(readdirSync(dir)).toEqual([]);
});

test('the incident playbook end to end over ssh: evidence, isolation, scans, journal, report; then resume', async () => {
  const e = serviceEnv();
  const caseDir = join(work, 'cases', 'incident-e2e');
  // over the test sshd as deploy with sudo, as the hardening guide logs in: docker, fail2ban and the files are the host's
  const r = await runIr(['playbook', 'run', 'incident', ...sshArgs(), '--set', `project=${project}`, '--set', `auth_log=${authLog}`, '--set', `f2b_socket=${e.IR_F2B_SOCKET}`, '--case', caseDir, '--yes', '--json'], { cwd: work, env: dockerEnv(), timeoutMs: 590_000 });
  const res = parseJson<PlaybookRun>(r);
  const steps = Object.fromEntries(res.hosts[0]!.steps.map((s) => [s.name, s]));
  expect(Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, s.status === 'error' ? `error: ${s.reason}` : s.status]))).toEqual({
    collect: 'ok',
    isolate: 'ok',
    'persistence-scan': 'findings',
    fail2ban: expect.stringMatching(/^(ok|findings)$/),
    'auth-review': 'findings',
    report: 'ok',
  });
  expect(r.code).toBe(1);

  // the containers are paused, the snapshot and evidence tarballs are in the case
  const paused = (await run('docker', ['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.State}}'], { env })).stdout.trim().split('\n');
  expect(paused).toEqual(['paused', 'paused']);
  const files = readdirSync(caseDir);
  expect(files).toEqual(expect.arrayContaining(['journal.jsonl', 'case.json', 'playbook.yaml', 'report.md', 'report.html', 'findings.json', 'isolation.json', 'auth-timeline.jsonl', 'steps']));
  expect(files.some((f) => /^ir-.*\.tar\.gz$/.test(f))).toBe(true);
  expect(files.some((f) => /^snapshot-.*\.tar\.gz$/.test(f))).toBe(true);
  const journal = readFileSync(join(caseDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; step?: string; status?: string; exitCode?: number });
  expect(journal.filter((j) => j.event === 'step-end').map((j) => `${j.step}:${j.exitCode ?? '-'}`)).toEqual(['collect:0', 'isolate:0', 'persistence-scan:1', expect.stringMatching(/^fail2ban:[01]$/), 'auth-review:1', 'report:-']);
  expect(journal.find((j) => j.event === 'confirm')).toBeDefined();

  const md = readFileSync(join(caseDir, 'report.md'), 'utf8');
  expect(md).toMatch(/\*\*isolation\*\* project irtest-pb\w+ isolated \(pause\)/);
  expect(md).toMatch(/\*\*auth-failures\*\* 12 failed logins from 203\.0\.113\.50/);
  expect(md.split('\n')[0]).toBe(res.verdict!.text);
  // over ssh, the next steps' commands go through the same login
  expect(md).toMatch(/ir restore --case \S+ --dry-run --host deploy@127\.0\.0\.1:\d+ --identity \S+ (--known-hosts \S+ )?--sudo/);
  expect(md).toMatch(/ssh -p \d+ -i \S+ (-o UserKnownHostsFile=\S+ )?deploy@127\.0\.0\.1 'sudo /);
  expect(md).toContain('git checkout HEAD~1 -- docker-compose.yaml Dockerfile');

  // resume: drop everything after isolate from the journal, as if the run had been killed there
  const lines = readFileSync(join(caseDir, 'journal.jsonl'), 'utf8').trim().split('\n');
  const cut = lines.findIndex((l) => l.includes('"step-end"') && l.includes('"step":"isolate"'));
  writeFileSync(join(caseDir, 'journal.jsonl'), lines.slice(0, cut + 1).join('\n') + '\n');
  const again = await runIr(['playbook', 'run', '--resume', caseDir, '--yes', '--json'], { cwd: work, env: dockerEnv(), timeoutMs: 300_000 });
  const resumed = parseJson<PlaybookRun>(again);
  expect(resumed.resumed).toBe(true);
  expect(resumed.hosts[0]!.steps.map((s) => `${s.name}:${s.resumed ? 'kept' : s.status}`)).toEqual(['collect:kept', 'isolate:kept', 'persistence-scan:findings', expect.stringMatching(/^fail2ban:(ok|findings)$/), 'auth-review:findings', 'report:ok']);
  const after = readFileSync(join(caseDir, 'journal.jsonl'), 'utf8').trim().split('\n').slice(cut + 1).map((l) => JSON.parse(l) as { event: string; step?: string });
  expect(after.filter((j) => j.event === 'step-start').map((j) => j.step)).toEqual(['persistence-scan', 'fail2ban', 'auth-review', 'report']);

  // report.html in headless Chromium: the page it lays out has the verdict, both timeline panels and the findings
  const chrome = await Chromium.start();
  try {
    await chrome.open(`file://${join(caseDir, 'report.html')}`, 1280);
    const page = await chrome.eval<{ verdict: string; panels: string[]; bars: number; logins: number; isolation: number; severe: number; scroll: number; client: number }>(`({
      verdict: document.querySelector('p').textContent,
      panels: [...document.querySelectorAll('svg.timeline')].map((s) => s.id),
      bars: document.querySelectorAll('#timeline g.failures rect').length,
      logins: document.querySelectorAll('#timeline g.lane.logins g.mark').length,
      isolation: document.querySelectorAll('#timeline line.isolation').length,
      severe: document.querySelectorAll('#findings td.sev.critical, #findings td.sev.high').length,
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    })`);
    expect(page.verdict).toBe(res.verdict!.text);
    expect(page.verdict).toMatch(/^Verdict: compromised\./);
    expect(page.panels).toEqual(['timeline', 'focus']);
    expect(page.bars).toBeGreaterThan(0);
    expect(page.logins).toBeGreaterThan(0);
    expect(page.isolation).toBe(1);
    expect(page.severe).toBeGreaterThan(0);
    expect(page.scroll).toBeLessThanOrEqual(page.client);
    const shot = join(process.env.IR_TEST_OUT ?? join(tmpdir(), 'ir-test-out'), 'report-incident-ssh-1280.png');
    mkdirSync(dirname(shot), { recursive: true });
    await chrome.screenshot(shot);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  } finally {
    await chrome.close();
  }
  expect(existsSync(join(caseDir, 'steps', '03-persistence-scan.json'))).toBe(true);
}, 900_000);
