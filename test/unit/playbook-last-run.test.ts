import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCaseMeta, type CaseMeta } from '../../src/case/case.js';
import { Journal } from '../../src/case/journal.js';
import { checkPlaybook } from '../../src/playbook/load.js';
import { hostVars, missingInput, runPlaybook, type RunnerOptions } from '../../src/playbook/runner.js';
import type { Playbook } from '../../src/playbook/schema.js';
import { lastRunFindings } from '../../src/report/compare.js';
import { CATALOG } from '../fixtures/playbook/catalog.js';
import { FAKE_CLI, fakeReport, withCaseMeta } from '../fixtures/playbook/runner-case.js';

/**
 * Issue 15 §6: one failed hygiene run must not break every later one. Each baseline comes from the
 * latest run that wrote that file, `{{since_last_run}}` from the last run whose auth step completed,
 * the report compares with the last run that wrote a report, and a missing `accepted` is refused first.
 */
const FIX = 'test/fixtures/playbook';
const text = readFileSync(`${FIX}/baselines.yaml`, 'utf8');

function load(): Playbook {
  const { playbook, issues } = checkPlaybook(text, 'baselines.yaml', CATALOG);
  expect(issues).toEqual([]);
  return playbook!;
}

let base: string;
beforeEach(() => (base = mkdtempSync(join(tmpdir(), 'ir-lastrun-'))));
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
  for (const k of Object.keys(process.env)) if (k.startsWith('FAKE_')) Reflect.deleteProperty(process.env, k);
});

let clock = 0;
function options(name: string, over: Partial<RunnerOptions> = {}): RunnerOptions {
  const pb = load();
  const startedAt = new Date(Date.UTC(2026, 10, 28, 6, 0, clock++)).toISOString();
  const o: RunnerOptions = {
    playbook: pb,
    catalog: CATALOG,
    hosts: [],
    fleet: false,
    kind: 'image',
    targetArgs: [],
    caseDir: join(base, 'cases', name),
    caseId: name,
    startedAt,
    vars: { accepted: null },
    concurrency: 2,
    dryRun: false,
    cli: FAKE_CLI,
    writeReport: fakeReport,
    ...over,
  };
  return withCaseMeta(o, text);
}

const argvOf = (r: Awaited<ReturnType<typeof runPlaybook>>, step: string): string[] => r.hosts[0]!.steps.find((s) => s.name === step)!.argv;

test('a run whose sweep and auth steps failed is never the baseline or the --since of the next run', async () => {
  const first = options('hygiene-1');
  expect((await runPlaybook(first)).exitCode).toBe(0);

  // the second run fails its sweep (no sweep-baseline.json) and its auth step, but its scan works
  process.env.FAKE_EXIT_SWEEP = '2';
  process.env.FAKE_EXIT_AUTH_REVIEW = '2';
  const second = options('hygiene-2');
  const r2 = await runPlaybook(second);
  expect(r2.hosts[0]!.steps.map((s) => s.status)).toEqual(['error', 'ok', 'error', 'ok']);
  delete process.env.FAKE_EXIT_SWEEP;
  delete process.env.FAKE_EXIT_AUTH_REVIEW;

  const third = options('hygiene-3');
  const r3 = await runPlaybook(third);
  expect(r3.exitCode).toBe(0);
  // each baseline from the latest run that wrote that file
  expect(argvOf(r3, 'sweep')).toContain(`--baseline=${first.caseDir}/sweep-baseline.json`);
  expect(argvOf(r3, 'scan')).toContain(`--baseline=${second.caseDir}/persistence-baseline.json`);
  // --since from the last run whose auth step completed
  expect(argvOf(r3, 'auth')).toContain(`--since=${first.startedAt}`);

  // and the run after that is back to normal: everything from hygiene-3
  const r4 = await runPlaybook(options('hygiene-4'));
  expect(argvOf(r4, 'sweep')).toContain(`--baseline=${third.caseDir}/sweep-baseline.json`);
  expect(argvOf(r4, 'auth')).toContain(`--since=${third.startedAt}`);
});

test('compare: last_run reads the last run that wrote a report, not a run that stopped before it', () => {
  const pb = load();
  const mk = (name: string, startedAt: string, report: 'ok' | 'error' | null, findings: unknown[]): string => {
    const dir = join(base, 'cases', name);
    writeCaseMeta(dir, { kind: 'ir-case', id: name, playbook: pb.name, version: 1, playbookSha256: 'x', startedAt, fleet: false, hosts: [{ label: 'image', groups: [], dir: '.' }], target: 'image', targetArgs: [], vars: {} }, text);
    mkdirSync(join(dir, 'steps'));
    writeFileSync(join(dir, 'steps/02-scan.json'), JSON.stringify({ findings }));
    const j = new Journal(join(dir, 'journal.jsonl'));
    j.write({ event: 'step-end', host: 'image', n: 2, step: 'scan', command: 'persistence-scan', status: 'findings', outputs: ['steps/02-scan.json'] });
    j.write({ event: 'host-end', host: 'image', status: 'findings' });
    if (report) j.write({ event: 'step-end', n: 4, step: 'report', command: 'report', status: report, outputs: report === 'ok' ? ['report.md'] : [] });
    return dir;
  };
  mk('hygiene-a', '2026-11-28T06:00:00.000Z', 'ok', [{ key: 'reported' }]);
  mk('hygiene-b', '2026-11-29T06:00:00.000Z', 'error', [{ key: 'report failed' }]);
  mk('hygiene-c', '2026-11-30T06:00:00.000Z', null, [{ key: 'killed before the report' }]);
  const now = mk('hygiene-d', '2026-12-01T06:00:00.000Z', null, []);
  const meta = JSON.parse(readFileSync(join(now, 'case.json'), 'utf8')) as CaseMeta;
  expect(lastRunFindings(now, meta, 'image')).toEqual([{ key: 'reported' }]);
});

describe('a missing accepted directory or file', () => {
  test('names the variable and the path, for the directory and for a baseline file inside it', () => {
    const o = options('hygiene-1', { dryRun: true });
    const host = { label: 'image', spec: '', groups: [] };
    const missing = join(base, 'nope');
    expect(missingInput(o, hostVars({ ...o, vars: { accepted: missing } }, host))).toBe(`--set accepted=${missing}: no such file or directory`);
    const half = join(base, 'half');
    mkdirSync(half);
    writeFileSync(join(half, 'sweep-baseline.json'), '{}');
    expect(missingInput(o, hostVars({ ...o, vars: { accepted: half } }, host))).toBe(`--set accepted=${half}: ${half}/persistence-baseline.json does not exist (step scan, --baseline)`);
    writeFileSync(join(half, 'persistence-baseline.json'), '{}');
    expect(missingInput(o, hostVars({ ...o, vars: { accepted: half } }, host))).toBeNull();
    expect(missingInput(o, hostVars(o, host))).toBeNull();
  });

  test('in a fleet it is that host error row, before any step; the other hosts go on', async () => {
    const accepted = join(base, 'accepted');
    for (const h of ['web1', 'web3']) {
      mkdirSync(join(accepted, h), { recursive: true });
      for (const f of ['sweep-baseline.json', 'persistence-baseline.json']) writeFileSync(join(accepted, h, f), '{}');
    }
    const hosts = ['web1', 'web2', 'web3'].map((label, i) => ({ label, spec: `deploy@192.0.2.${i + 1}`, groups: [] }));
    const o = options('hygiene-fleet', { hosts, fleet: true, kind: 'ssh', vars: { accepted: `${accepted}/{{host}}` } });
    const r = await runPlaybook(o);
    expect(r.hosts.map((h) => [h.label, h.status, h.exitCode])).toEqual([
      ['web1', 'ok', 0],
      ['web2', 'error', 2],
      ['web3', 'ok', 0],
    ]);
    expect(r.hosts[1]!.error).toBe(`--set accepted=${accepted}/web2: no such file or directory`);
    expect(r.hosts[1]!.steps.every((s) => s.status === 'skipped' || s.command === 'report')).toBe(true);
    expect(r.exitCode).toBe(2);
    // nothing ran on web2: no step output in its directory
    const journal = readFileSync(join(o.caseDir, 'journal.jsonl'), 'utf8');
    expect(journal).not.toMatch(/"step-start","host":"web2"/);
    expect(argvOf({ ...r, hosts: [r.hosts[2]!] }, 'sweep')).toContain(`--baseline=${accepted}/web3/sweep-baseline.json`);
  });
});
