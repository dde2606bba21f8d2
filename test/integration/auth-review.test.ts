import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseJson, ROOT, runIr } from '../helpers/cli.js';
import { hostileRoot } from '../helpers/hostile.js';
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

test("an old Red Hat's messages (sshd(pam_unix)): the failures, a host name as the source, attacking addresses on the summary line", async () => {
  const r = await runIr(['auth-review', join(FIX, 'rhel4-messages'), '--no-fail2ban']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^18 failed attempts · 4 attacking of 4 addresses · /m);
  expect(r.stdout).toMatch(/source .*rhel4-messages \(syslog, 38 lines, 18 failures counted from PAM lines/);
  expect(r.stdout).toMatch(/MEDIUM +auth\.brute-force +brute force from host-7\.attacker\.example\.net: 14 failures/);
  const j = parseJson<AuthReport>(await runIr(['auth-review', join(FIX, 'rhel4-messages'), '--no-fail2ban', '--json']));
  expect(j.counts).toMatchObject({ failures: 18, attackingIps: 4, distinctIps: 4, authUnrecognised: 0 });
  expect(j.topIps[0]!.ip).toBe('host-7.attacker.example.net');
}, T);

test('sshd lines ir cannot read: one line naming the file, exit 2; more than half: a warning at the top', async () => {
  const h = 'Nov 24 01:00:00 web-01';
  const strange = Array.from({ length: 1240 }, (_, i) => `${h} sshd[${i}]: Frobnicated widget ${i} for visitor from 203.0.113.${i % 250}\n`).join('');
  const f = join(work, 'strange.log');
  writeFileSync(f, strange);
  const r = await runIr(['auth-review', f, '--no-fail2ban']);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toEqual([`ir auth-review: ${f}: 1,240 sshd/PAM lines read, none recognised: not a format ir reads (docs/auth-review.md lists those it does)`]);
  const half = join(work, 'half.log');
  writeFileSync(half, readFileSync(join(FIX, 'compromise.log'), 'utf8') + strange.slice(0, strange.indexOf('sshd[40]') - h.length - 1));
  const w = await runIr(['auth-review', half, '--no-fail2ban']);
  expect(w.code).toBe(1);
  expect(w.stdout.split('\n')[1]).toBe(`warning: ${half}: 40 of 64 sshd/PAM lines not recognised: the counts below may be low`);
  const empty = join(work, 'empty.log');
  writeFileSync(empty, '');
  const e = await runIr(['auth-review', empty, '--no-fail2ban']);
  expect(e.code).toBe(0);
  expect(e.stdout).toMatch(/^no auth lines \(sshd, sudo, su, login, PAM\): 0 lines read$/m);
}, T);

test('a truncated .gz: exit 2 alone and beside another file, the report printed with the error at the top', async () => {
  const gz = gzipSync(readFileSync(join(FIX, 'compromise.log')));
  const cut = join(work, 'auth.log.2.gz');
  writeFileSync(cut, gz.subarray(0, gz.length - 40));
  for (const files of [[cut], [cut, join(FIX, 'debian12-auth.log')]]) {
    const r = await runIr(['auth-review', ...files, '--no-fail2ban']);
    expect(r.code).toBe(2);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(new RegExp(`^ERROR: ${cut.replace(/[.]/g, '\\.')}: gzip data cut short \\(unexpected end of file\\): a truncated archive after \\d+ lines: the rest was not read$`));
    expect(lines.at(-1)).toMatch(/^ERROR: 1 input not read to the end or not understood/);
    expect(r.stdout).toMatch(/CRITICAL +auth\.success-after-brute-force/);
    const j = parseJson<AuthReport>(await runIr(['auth-review', ...files, '--no-fail2ban', '--json']));
    expect(j.errors).toHaveLength(1);
  }
}, T);

test('--ip in any spelling of the address; --tail help says a plain grep | tail', async () => {
  const j = parseJson<AuthReport>(await runIr(['auth-review', join(FIX, 'compromise.log'), '--no-fail2ban', '--json', '--ip', '::FFFF:203.0.113.50']));
  expect(j.filter.ip).toBe('203.0.113.50');
  expect(j.counts.failures).toBe(12);
  const help = await runIr(['auth-review', '--help']);
  expect(help.stdout).toContain('a plain `grep | tail`');
  expect(help.stdout).not.toMatch(/seed/i);
}, T);

test('the hostile root: an old Red Hat secure log and hostile lines are read, nothing reaches the terminal raw', async () => {
  const root = hostileRoot();
  const r = await runIr(['auth-review', '--root', root, '--no-fail2ban']);
  expect(r.code).toBe(1);
  expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/);
  expect(r.stdout).toContain('\\x1b[2J\\x1b]0;owned\\x07x');
  expect(r.stdout).toMatch(/source \/var\/log\/secure \(syslog, 17 lines, 15 failures counted from PAM lines/);
  const json = await runIr(['auth-review', '--root', root, '--no-fail2ban', '--json']);
  expect(json.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f]/);
  const j = parseJson<AuthReport>(json);
  const brute = j.alerts.filter((a) => a.rule === 'auth.brute-force').map((a) => a.details?.ip);
  // the brute force from a host name PAM logged, and the one right after a 1.2 MB line
  expect(brute).toEqual(expect.arrayContaining(['scanner-4.attacker.example.net', '203.0.113.202']));
  expect(j.errors).toEqual([]);
  expect(j.warnings).toEqual([]);
}, T);
