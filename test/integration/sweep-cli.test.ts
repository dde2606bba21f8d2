import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import { serviceEnv, sshArgs } from '../helpers/services.js';
import { hostileRoot } from '../helpers/hostile.js';

interface Report {
  exitCode: number;
  failing: string[];
  results: { key: string; status: string; drift?: string }[];
  drift?: { checks: { new: number; changed: number; unchanged: number }; state: { key: string; kind: string; change: string; severity: string }[] };
  score: { index: number | null };
}

const tmp = mkdtempSync(join(tmpdir(), 'ir-sweep-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function copyRoot(name: string): string {
  const dir = join(tmp, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(join(ROOT, 'test/fixtures/sweep', name), dir, { recursive: true });
  return dir;
}

test('offline --root: good exits 0, bad exits 1, --json prints the report', async () => {
  const only = ['--only', 'ssh,fail2ban,firewall,updates,accounts'];
  const good = await runIr(['sweep', '--root', copyRoot('good'), ...only, '--json']);
  expect(good.code).toBe(0);
  const g = parseJson<Report>(good);
  expect(g.failing).toEqual([]);
  expect(g.score.index).toBe(100);
  const bad = await runIr(['sweep', '--root', copyRoot('bad'), ...only]);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toMatch(/^FAIL high {5}IR-SSH-001 \[\/etc\/ssh\/sshd_config\] Root cannot log in over SSH$/m);
  expect(bad.stdout).toMatch(/hardening index: \d+ \/ 100/);
});

test('baseline: unchanged failures do not count, a new key and an SSH change do', async () => {
  const root = copyRoot('bad');
  const base = join(tmp, 'baseline.json');
  const first = await runIr(['sweep', '--root', root, '--save-baseline', base, '--json']);
  expect(first.code).toBe(1);
  expect(statSync(base).mode & 0o777).toBe(0o600);
  const again = await runIr(['sweep', '--root', root, '--baseline', base, '--json']);
  const a = parseJson<Report>(again);
  expect(again.code).toBe(0);
  expect(a.drift!.checks.new + a.drift!.checks.changed).toBe(0);
  expect(a.drift!.state).toEqual([]);
  // an intruder adds a key for root and turns MaxAuthTries back up
  mkdirSync(join(root, 'root/.ssh'), { recursive: true });
  appendFileSync(join(root, 'root/.ssh/authorized_keys'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNvbWVvbmVzLWtleS1ub3QtYS1yZWFsLW9uZS0xMjM0 intruder@example.com\n');
  appendFileSync(join(root, 'etc/ssh/sshd_config'), '');
  execFileSync('sed', ['-i', 's/^MaxAuthTries 10$/MaxAuthTries 20/', join(root, 'etc/ssh/sshd_config')]);
  const drifted = await runIr(['sweep', '--root', root, '--baseline', base, '--json']);
  const d = parseJson<Report>(drifted);
  expect(drifted.code).toBe(1);
  const key = d.drift!.state.find((s) => s.kind === 'authorized-key')!;
  expect(key).toMatchObject({ change: 'added', severity: 'high' });
  // persistence-scan sees the key too (its own finding, its own key)
  expect(d.drift!.state.filter((s) => s.kind !== 'authorized-key').every((s) => s.kind === 'persistence' && s.change === 'added')).toBe(true);
  expect(d.results.find((r) => r.key === 'IR-SSH-005:/etc/ssh/sshd_config')!.drift).toBe('changed');
  expect(d.failing).toContain('IR-SSH-005:/etc/ssh/sshd_config');
  expect(d.failing).toContain(key.key);
  expect(d.failing.filter((k) => k.startsWith('IR-'))).toEqual(['IR-SSH-005:/etc/ssh/sshd_config']);
  // --fail-on high: the low-severity MaxAuthTries change no longer counts, the new key does
  const high = parseJson<Report>(await runIr(['sweep', '--root', root, '--baseline', base, '--fail-on', 'high', '--json']));
  expect(high.failing).toContain(key.key);
  expect(high.failing).not.toContain('IR-SSH-005:/etc/ssh/sshd_config');
  // --state without persistence (hygiene leaves it to persistence-scan): the key is drift, the scan's
  // finding of the same key is not even gathered
  const lean = parseJson<Report>(await runIr(['sweep', '--root', root, '--baseline', base, '--state', 'port,account,authorized-key,unit', '--json']));
  expect(lean.drift!.state.map((s) => s.kind)).toEqual(['authorized-key']);
  expect((lean as Report & { state: { kind: string }[] }).state.some((s) => s.kind === 'persistence')).toBe(false);
});

test('--out-dir keeps the JSON result, bad flags and a missing baseline are one line and exit 2', async () => {
  const out = join(tmp, 'sweeps');
  // an output directory that does not exist is refused, as collect's --out is: nothing is created
  const absent = await runIr(['sweep', '--root', copyRoot('good'), '--only', 'ssh', '--out-dir', out]);
  expect(absent.code).toBe(2);
  expect(absent.stderr.trim().split('\n')).toHaveLength(1);
  expect(absent.stderr).toMatch(/--out-dir .*sweeps: no such directory/);
  expect(existsSync(out)).toBe(false);
  mkdirSync(out);
  const r = await runIr(['sweep', '--root', copyRoot('good'), '--only', 'ssh', '--out-dir', out]);
  expect(r.code).toBe(0);
  const files = readdirSync(out);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^sweep-good-\d{8}T\d{6}Z\.json$/);
  expect(JSON.parse(readFileSync(join(out, files[0]!), 'utf8')).kind).toBe('ir-sweep');
  const missing = await runIr(['sweep', '--root', copyRoot('good'), '--baseline', join(tmp, 'nope.json')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  expect(missing.stderr).toMatch(/baseline .*nope\.json: no such file/);
  const unknown = await runIr(['sweep', '--root', copyRoot('good'), '--only', 'nonsense']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown check or area nonsense/);
  const kind = await runIr(['sweep', '--root', copyRoot('good'), '--state', 'port,nonsense']);
  expect(`${kind.code} ${kind.stderr.trim().split('\n').length}`).toBe('2 1');
  expect(kind.stderr).toMatch(/--state: unknown kind nonsense/);
});

test('--install-timer --dry-run prints the units; written units pass systemd-analyze verify', async () => {
  const dry = await runIr(['sweep', '--install-timer', '--dry-run', '--host', 'deploy@203.0.113.10', '--sudo', '--baseline', 'base.json', '--json']);
  expect(dry.code).toBe(0);
  const res = parseJson<{ units: { path: string; content: string }[]; written: boolean }>(dry);
  expect(res.written).toBe(false);
  expect(res.units.map((u) => u.path)).toEqual(['/etc/systemd/system/ir-sweep-deploy_203.0.113.10.service', '/etc/systemd/system/ir-sweep-deploy_203.0.113.10.timer']);
  const svc = res.units[0]!.content;
  expect(svc).toMatch(/^ExecStart=\S+node\S* \S+\/bin\/run\.js sweep --host deploy@203\.0\.113\.10 --sudo --fail-on low --baseline \S+\/base\.json --out-dir \/var\/lib\/ir\/sweeps$/m);
  expect(svc).toMatch(/^StateDirectory=ir\/sweeps$/m);
  expect(res.units[1]!.content).toMatch(/^OnCalendar=daily$/m);
  const unitDir = join(tmp, 'units');
  const written = await runIr(['sweep', '--install-timer', '--unit-dir', unitDir, '--json']);
  expect(written.code).toBe(0);
  expect(readdirSync(unitDir).sort()).toEqual(['ir-sweep.service', 'ir-sweep.timer']);
  if (existsSync('/usr/bin/systemd-analyze')) {
    const v = spawnSync('systemd-analyze', ['verify', '--man=no', join(unitDir, 'ir-sweep.service'), join(unitDir, 'ir-sweep.timer')], { encoding: 'utf8' });
    // systemd-analyze warns about the host's own units when systemd is not PID 1: only our files matter
    const ours = (v.stderr + v.stdout).split('\n').filter((l) => l.includes('ir-sweep'));
    expect(ours).toEqual([]);
  }
});

test('--host over ssh as deploy with --sudo: the same checks, read remotely', async () => {
  const env = serviceEnv();
  const run = await runIr(['sweep', ...sshArgs(), '--only', 'IR-SSH-001,IR-SSH-002,IR-F2B-002,IR-F2B-004', '--fail2ban-dir', env.IR_F2B_CONF_DIR!, '--json']);
  const r = parseJson<Report & { target: string }>(run);
  expect(r.target).toBe('ssh');
  const st = Object.fromEntries(r.results.filter((x) => !x.key.includes(':') || x.key.endsWith(`:${env.IR_SSHD_CONFIG}`)).map((x) => [x.key, x.status]));
  expect(st).toEqual({
    [`IR-SSH-001:${env.IR_SSHD_CONFIG}`]: 'fail',
    [`IR-SSH-002:${env.IR_SSHD_CONFIG}`]: 'pass',
    'IR-F2B-002': 'pass',
    'IR-F2B-004': 'pass',
  });
  expect(run.code).toBe(1);
});

test('a check that could not run is never OK: the verdict names it first and last, exit 2 (hostile root)', async () => {
  const r = await runIr(['sweep', '--root', hostileRoot(), '--only', 'ssh']);
  expect(r.code).toBe(2);
  const lines = r.stdout.trim().split('\n');
  expect(lines[1]).toMatch(/^ERROR: 6 checks could not run \(IR-SSH-001, .*\): this sweep is incomplete/);
  expect(lines.at(-1)).toBe(lines[1]);
  expect(r.stdout).not.toMatch(/^OK:/m);
  const json = parseJson<Report & { errors: string[] }>(await runIr(['sweep', '--root', hostileRoot(), '--only', 'ssh', '--json']));
  expect(json.exitCode).toBe(2);
  expect(json.errors).toHaveLength(6);
});
