import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseMeta } from '../../src/case/case.js';
import { readJournal } from '../../src/case/journal.js';
import { checkPlaybook } from '../../src/playbook/load.js';
import { runPlaybook, stepArgv, whenHolds, type RunnerOptions } from '../../src/playbook/runner.js';
import type { Playbook } from '../../src/playbook/schema.js';
import { fill } from '../../src/playbook/template.js';
import { CATALOG } from '../fixtures/playbook/catalog.js';
import { FAKE_CLI, fakeReport, withCaseMeta } from '../fixtures/playbook/runner-case.js';

const FIX = 'test/fixtures/playbook';

function load(): Playbook {
  const { playbook, issues } = checkPlaybook(readFileSync(`${FIX}/minimal.yaml`, 'utf8'), 'minimal.yaml', CATALOG);
  expect(issues).toEqual([]);
  return playbook!;
}

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
  for (const k of Object.keys(process.env)) if (k.startsWith('FAKE_')) Reflect.deleteProperty(process.env, k);
});

function options(pb: Playbook, over: Partial<RunnerOptions> = {}): RunnerOptions {
  const base = mkdtempSync(join(tmpdir(), 'ir-pb-'));
  dirs.push(base);
  const caseDir = join(base, 'cases', 'minimal-1');
  const o: RunnerOptions = {
    playbook: pb,
    catalog: CATALOG,
    hosts: [],
    fleet: false,
    kind: 'local',
    targetArgs: [{ name: 'sudo', value: true }],
    caseDir,
    caseId: 'minimal-1',
    startedAt: new Date().toISOString(),
    vars: { project: null, f2b: '/run/f2b.sock' },
    concurrency: 4,
    dryRun: false,
    cli: FAKE_CLI,
    writeReport: fakeReport,
    ...over,
  };
  return withCaseMeta(o, readFileSync(`${FIX}/minimal.yaml`, 'utf8'));
}

describe('templates and argv', () => {
  test('an empty template leaves the parameter out', () => {
    expect(fill('{{since_last_run}}', { since_last_run: null })).toBeNull();
    expect(fill('{{case}}/x.jsonl', { case: '/c' })).toBe('/c/x.jsonl');
    expect(fill('plain', {})).toBe('plain');
    // {{a|b}}: the first that is set and not empty
    expect(fill('{{accepted|last_run}}/b.json', { accepted: null, last_run: '/cases/prev' })).toBe('/cases/prev/b.json');
    expect(fill('{{accepted|last_run}}/b.json', { accepted: '/acc', last_run: '/cases/prev' })).toBe('/acc/b.json');
    expect(fill('{{ accepted | last_run }}/b.json', { accepted: '', last_run: null })).toBeNull();
  });

  test('parameters become --flag=value, run flags only where the command has them, --yes on confirmed steps, --json last', () => {
    const pb = load();
    const third = pb.steps[2]!;
    const { argv } = stepArgv(third, CATALOG.get('isolate'), { project: 'shop', case: '/c' }, [
      { name: 'host', value: 'deploy@192.0.2.10' },
      { name: 'ssh-config', value: '/x' },
      { name: 'sudo', value: true },
    ]);
    expect(argv).toEqual(['isolate', '--project=shop', '--case=/c', '--host=deploy@192.0.2.10', '--sudo', '--yes', '--json']);
    const second = stepArgv(pb.steps[1]!, CATALOG.get('fail2ban'), { f2b: null }, []);
    expect(second.argv).toEqual(['fail2ban', '--json']);
    expect(second.omitted).toEqual(['socket']);
  });

  test('a value that starts with a dash stays a value', () => {
    const pb = load();
    const { argv } = stepArgv(pb.steps[3]!, CATALOG.get('auth-review'), { since_last_run: '-1d' }, []);
    expect(argv).toContain('--since=-1d');
  });

  test('when: variables, target kind and earlier steps', () => {
    const pb = load();
    expect(whenHolds(pb.steps[2]!, { project: null }, 'local', new Map()).run).toBe(false);
    expect(whenHolds(pb.steps[2]!, { project: 'shop' }, 'local', new Map()).run).toBe(true);
    expect(whenHolds(pb.steps[3]!, {}, 'local', null).run).toBe('depends');
    expect(whenHolds(pb.steps[3]!, {}, 'local', new Map([['first', 'error']])).run).toBe(false);
    expect(whenHolds(pb.steps[3]!, {}, 'local', new Map([['first', 'findings']])).run).toBe(true);
  });
});

describe('runPlaybook', () => {
  test('one host: steps as children, JSON saved per step, journal with start and end of each, report last', async () => {
    process.env.FAKE_EXIT_PERSISTENCE_SCAN = '1';
    const o = options(load());
    const r = await runPlaybook(o);
    expect(r.hosts).toHaveLength(1);
    expect(r.hosts[0]!.steps.map((s) => [s.name, s.status])).toEqual([
      ['first', 'findings'],
      ['second', 'ok'],
      ['third', 'skipped'],
      ['fourth', 'ok'],
      ['report', 'ok'],
    ]);
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(readFileSync(join(o.caseDir, 'steps/01-first.json'), 'utf8')) as { argv: string[] };
    expect(out.argv).toEqual(['persistence-scan', '--fail-on=medium', '--sudo', '--json']);
    const j = readJournal(join(o.caseDir, 'journal.jsonl'));
    expect(j[0]!.event).toBe('case-start');
    expect(j.filter((e) => e.event === 'step-start').map((e) => e.step)).toEqual(['first', 'second', 'fourth', 'report']);
    expect(j.find((e) => e.event === 'step-end' && e.step === 'first')).toMatchObject({ status: 'findings', exitCode: 1, outputs: ['steps/01-first.json', 'steps/01-first.stderr.txt'] });
    expect(j.find((e) => e.event === 'step-end' && e.step === 'third')?.message).toMatch(/project is not set/);
    expect(j.at(-1)!.event).toBe('case-end');
    expect(existsSync(join(o.caseDir, 'report.md'))).toBe(true);
  });

  test('an error stops the host unless continue_on_error; a step without JSON is an error', async () => {
    process.env.FAKE_EXIT_PERSISTENCE_SCAN = '2';
    const r = await runPlaybook(options(load()));
    expect(r.hosts[0]!.steps.map((s) => s.status)).toEqual(['error', 'skipped', 'skipped', 'skipped', 'ok']);
    expect(r.hosts[0]!.steps[0]!.reason).toMatch(/simulated failure/);
    expect(r.exitCode).toBe(2);
    delete process.env.FAKE_EXIT_PERSISTENCE_SCAN;
    process.env.FAKE_NO_JSON = 'fail2ban';
    const r2 = await runPlaybook(options(load()));
    expect(r2.hosts[0]!.steps.map((s) => s.status)).toEqual(['ok', 'error', 'skipped', 'ok', 'ok']);
    expect(r2.hosts[0]!.steps[1]!.reason).toBe('printed no JSON');
  });

  test('--resume runs only the steps after the last completed one', async () => {
    process.env.FAKE_EXIT_PERSISTENCE_SCAN = '2';
    const o = options(load());
    await runPlaybook(o);
    delete process.env.FAKE_EXIT_PERSISTENCE_SCAN;
    // the first run stopped at "first"; now it works: resume runs first, second, fourth
    const meta = JSON.parse(readFileSync(join(o.caseDir, 'case.json'), 'utf8')) as CaseMeta;
    const r = await runPlaybook({ ...o, resume: meta });
    expect(r.resumed).toBe(true);
    expect(r.hosts[0]!.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'skipped', 'ok', 'ok']);
    // and a third run after that re-runs nothing but the report
    const r3 = await runPlaybook({ ...o, resume: meta });
    expect(r3.hosts[0]!.steps.filter((s) => s.resumed).map((s) => s.name)).toEqual(['first', 'second', 'third', 'fourth']);
    const j = readJournal(join(o.caseDir, 'journal.jsonl'));
    const lastResume = j.map((e) => e.event).lastIndexOf('case-resume');
    expect(j.slice(lastResume).filter((e) => e.event === 'step-start').map((e) => e.step)).toEqual(['report']);
  });

  test('a fleet: one directory per host, a failing host never stops the others, exit code the worst', async () => {
    process.env.FAKE_FAIL_HOST = 'deploy@192.0.2.12';
    const hosts = ['192.0.2.11', '192.0.2.12', '192.0.2.13'].map((a, i) => ({ label: `web${i + 1}`, spec: `deploy@${a}`, groups: ['web'] }));
    const o = options(load(), { hosts, fleet: true, kind: 'ssh' });
    const r = await runPlaybook(o);
    expect(r.hosts.map((h) => [h.label, h.status, h.exitCode])).toEqual([
      ['web1', 'ok', 0],
      ['web2', 'error', 2],
      ['web3', 'ok', 0],
    ]);
    expect(r.exitCode).toBe(2);
    const out = JSON.parse(readFileSync(join(o.caseDir, 'hosts/web3/steps/01-first.json'), 'utf8')) as { host: string };
    expect(out.host).toBe('deploy@192.0.2.13');
  });

  test('a host that fails its preflight (dead, changed key) is unreachable; the rest run', async () => {
    const hosts = ['192.0.2.21', '192.0.2.22'].map((a, i) => ({ label: `h${i}`, spec: a, groups: [] }));
    const o = options(load(), {
      hosts,
      fleet: true,
      kind: 'ssh',
      preflight: async (h) => {
        if (h.label === 'h1') throw new Error('host key of 192.0.2.22 changed');
      },
    });
    const r = await runPlaybook(o);
    expect(r.hosts[1]).toMatchObject({ status: 'unreachable', exitCode: 2, error: 'host key of 192.0.2.22 changed' });
    expect(r.hosts[0]!.status).toBe('ok');
  });

  test('progress lines shell-quote every argument: a pasted line never runs $(…)', async () => {
    const lines: string[] = [];
    const r = await runPlaybook(options(load(), { vars: { project: null, f2b: '/run/$(touch pwned)/f2b sock' }, onProgress: (l) => lines.push(l) }));
    expect(r.hosts[0]!.steps[1]!.status).toBe('ok');
    expect(lines).toContain(`2/5 second: ir fail2ban '--socket=/run/$(touch pwned)/f2b sock' --sudo --json`);
  });

  test('dry run: every step with its argv, nothing written', async () => {
    const o = options(load(), { dryRun: true, vars: { project: 'shop', f2b: null } });
    const r = await runPlaybook(o);
    expect(r.hosts[0]!.steps.map((s) => s.status)).toEqual(['planned', 'planned', 'planned', 'planned', 'planned']);
    expect(r.hosts[0]!.steps[2]!.argv).toContain('--yes');
    expect(r.hosts[0]!.steps[3]!.reason).toMatch(/runs if first ends/);
    expect(existsSync(join(o.caseDir, 'journal.jsonl'))).toBe(false);
  });
});
