import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import { sshArgs } from '../helpers/services.js';
import type { AuthReport } from '../../src/logs/auth-report.js';

const FIX = join(ROOT, 'test/fixtures/authlog');
const T = 300_000;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-authreview-'));
  chmodSync(work, 0o755);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('a compromise: critical alert, exit 1; the chart marks logins and alerts', async () => {
  const r = await runIr(['auth-review', join(FIX, 'compromise.log'), '--no-fail2ban']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/CRITICAL\s+auth\.success-after-brute-force\s+deploy logged in from 203\.0\.113\.50 \(password\)/);
  expect(r.stdout).toMatch(/FAILURES PER HOUR/);
  expect(r.stdout).toMatch(/11-24 03:00 █+ +12 +▲2 .*!success-after-brute-force/);
  expect(r.stdout).toMatch(/\[AFTER BRUTE FORCE; 12 failures from this address\]/);
  const j = parseJson<AuthReport>(await runIr(['auth-review', join(FIX, 'compromise.log'), '--no-fail2ban', '--json']));
  expect(j.alerts[0]!.severity).toBe('critical');
  expect(j.counts.failures).toBe(19);
}, T);

test('--fail-on, --since, stdin, --tail', async () => {
  const quiet = await runIr(['auth-review', join(FIX, 'rhel7-secure'), '--no-fail2ban', '--fail-on', 'critical']);
  expect(quiet.code).toBe(0);
  const piped = await runIr(['auth-review', '-', '--no-fail2ban', '--json', '--tail', '2', '--since', '2026-11-24T04:00:00Z'], { input: readFileSync(join(FIX, 'compromise.log'), 'utf8') });
  const j = parseJson<AuthReport>(piped);
  expect(j.sources[0]!.name).toBe('(stdin)');
  expect(j.tail).toHaveLength(2);
  expect(j.window.since).toBe('2026-11-24T04:00:00.000Z');
  const bad = await runIr(['auth-review', '-', '--since', 'last tuesday']);
  expect(bad.code).toBe(2);
  expect(bad.stderr.trim().split('\n')).toEqual(['ir auth-review: --since last tuesday: expected an ISO 8601 time, @EPOCH or a duration like 24h']);
  const missing = await runIr(['auth-review', join(work, 'nope.log'), '--no-fail2ban']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/no log could be read/);
}, T);

test('hostile content: nothing from the log reaches the terminal raw', async () => {
  const r = await runIr(['auth-review', join(FIX, 'hostile.log'), '--no-fail2ban', '--tail', '5']);
  expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  expect(r.stdout).toContain('203.0.113.66');
  const j = await runIr(['auth-review', join(FIX, 'hostile.log'), '--no-fail2ban', '--json']);
  expect(j.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f]/);
  expect(j.stdout).toContain('\\u001b');
}, T);

test('--timeline writes Timesketch JSONL', async () => {
  const out = join(work, 'tl.jsonl');
  await runIr(['auth-review', join(FIX, 'debian12-auth.log'), '--no-fail2ban', '--timeline', out, '--json']);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.length).toBeGreaterThan(40);
  for (const l of lines) {
    expect(typeof l.message).toBe('string');
    expect(l.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(l.timestamp_desc).toBe('Event Recorded');
  }
  expect(lines.find((l) => l.kind === 'ssh.accepted')).toMatchObject({ username: 'deploy', source_ip: '198.51.100.7', method: 'publickey' });
}, T);

test('over SSH as the non-root deploy user (sftp stream of a file it can read)', async () => {
  const file = join(work, 'auth.log');
  writeFileSync(file, readFileSync(join(FIX, 'compromise.log')));
  chmodSync(file, 0o644);
  const r = await runIr(['auth-review', file, ...sshArgs({ sudo: false }), '--json', '--no-fail2ban']);
  const j = parseJson<AuthReport>(r);
  expect(j.sources[0]).toMatchObject({ name: file, format: 'syslog', lines: 24 });
  expect(j.alerts[0]!.rule).toBe('auth.success-after-brute-force');
  expect(r.code).toBe(1);
}, T);

test('a large file is parsed by worker threads with the same report as one thread', async () => {
  const big = join(work, 'big.log');
  // 60 MB of real lines (over the 48 MiB threshold for threads)
  writeFileSync(big, readFileSync(join(FIX, 'debian12-auth.log'), 'utf8').repeat(10_000));
  const a = parseJson<AuthReport>(await runIr(['auth-review', big, '--json', '--no-fail2ban'], { timeoutMs: T }));
  const b = parseJson<AuthReport>(await runIr(['auth-review', big, '--json', '--no-fail2ban', '--threads', '0'], { timeoutMs: T }));
  expect(a.sources[0]!.workers).toBeGreaterThanOrEqual(2);
  expect(b.sources[0]!.workers).toBe(0);
  // the same report: brute-force windows and `Invalid user` / `Failed … invalid user` pairs across a range boundary included
  const strip = (r: AuthReport) => ({ ...r, sources: r.sources.map(({ workers, ...src }) => (void workers, src)) });
  expect(strip(a)).toEqual(strip(b));
}, T);
