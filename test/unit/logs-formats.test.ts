import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ImageHost } from '../../src/host/image.js';
import type { Target } from '../../src/host/target.js';
import { renderAuthReport } from '../../src/output/auth-review.js';
import { AUTH_REVIEW_DEFAULTS, reviewAuth, type AuthReviewOptions } from '../../src/logs/auth-review.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { ROOT } from '../helpers/cli.js';

/**
 * Issue 15 §8: auth logs ir cannot read never look like a quiet week. The older formats are read
 * (pam_unix's `sshd(pam_unix)[PID]:` program name, host names in rhost=, users from the PAM fields,
 * rsyslog's repeated messages…), and what is still not understood is said, at the top or as the error.
 */
const FIX = join(ROOT, 'test/fixtures/authlog');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ir-authfmt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = (o: Partial<AuthReviewOptions> = {}): AuthReviewOptions => ({ files: [], journal: false, offsetMinutes: 0, ...AUTH_REVIEW_DEFAULTS, tail: 0, policy: defaultPolicy(), workers: 0, ...o });

async function imageWith(files: Record<string, Buffer | string>): Promise<Target> {
  const root = mkdtempSync(join(dir, 'root-'));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'var/log'), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(root, 'var/log', name), content);
    utimesSync(join(root, 'var/log', name), new Date('2026-11-30T00:00:00Z'), new Date('2026-11-30T00:00:00Z'));
  }
  return ImageHost.open(root);
}

const h = 'Nov 24 01:00:00 web-01';

describe('older formats', () => {
  test("an old Red Hat's messages: sshd(pam_unix) failures counted, a host name kept as the source, users from the PAM fields", async () => {
    const r = await reviewAuth(await imageWith({ messages: readFileSync(join(FIX, 'rhel4-messages')) }), base({ files: ['/var/log/messages'] }));
    expect(r.counts).toMatchObject({ failures: 18, attackingIps: 4, distinctIps: 4, authUnrecognised: 0 });
    expect(r.counts.authLines).toBeGreaterThan(30);
    expect(r.sources[0]).toMatchObject({ pamFailures: 18, authUnrecognised: 0 });
    expect(r.topIps.map((i) => [i.ip, i.failures, i.invalidUsers])).toEqual([
      ['host-7.attacker.example.net', 14, 0],
      ['203.0.113.40', 2, 2],
      ['198.51.100.23', 1, 0],
      ['2001:db8::bad:1', 1, 0],
    ]);
    expect(r.topUsers.map((u) => [u.user, u.failures])).toEqual([
      ['root', 14],
      ['admin', 1],
      ['guest', 1],
    ]);
    const brute = r.alerts.find((a) => a.rule === 'auth.brute-force')!;
    expect(brute.details).toMatchObject({ ip: 'host-7.attacker.example.net', failures: 14 });
    // a name is never resolved, and never handed to `ir ban`
    expect(brute.remediation).toMatch(/host name .*does not resolve/);
    // su's PAM failure: the invoking user (ruser=) tried to become user=
    expect(r.su).toEqual([expect.objectContaining({ user: 'test', targetUser: 'root', failures: 1 })]);
    expect(r.counts.byKind).toMatchObject({ 'login.failed': 1, 'login.session': 1, 'pam.user-unknown': 3 });
    expect(r.accountChanges.map((a) => a.detail)).toEqual(['password changed for test']);
    expect(r.errors).toEqual([]);
    expect(renderAuthReport(r)).toMatch(/18 failed attempts · 4 attacking of 4 addresses/);
  });

  test('PAM lines and sshd’s own lines of the same attempts count once (Debian 3 `(pam_unix)`, pam_syslog, `PAM N more`)', async () => {
    const lines = [
      `${h} sshd[16004]: (pam_unix) authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.60  user=root`,
      `${h} sshd[16004]: Failed password for root from 192.0.2.60 port 4000 ssh2`,
      `${h} sshd[16004]: Failed password for root from 192.0.2.60 port 4000 ssh2`,
      `${h} sshd[16004]: PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.60  user=root`,
      `${h} sshd[16005]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.61  user=root`,
      `${h} sshd[16005]: Failed password for root from 192.0.2.61 port 4001 ssh2`,
    ];
    const r = await reviewAuth(await imageWith({ 'auth.log': lines.join('\n') + '\n' }), base());
    expect(r.topIps.map((i) => [i.ip, i.failures])).toEqual([
      ['192.0.2.60', 2],
      ['192.0.2.61', 1],
    ]);
    expect(r.sources[0]!.pamFailures).toBeUndefined();
    expect(r.counts.byKind['pam.auth-failure']).toBe(3);
  });

  test("rsyslog's `message repeated N times`, Solaris' `[ID …]`, no port (OpenSSH 2), sshd's `error: PAM:` (OpenSSH 3–4), IPv4-mapped addresses", async () => {
    const lines = [
      `${h} sshd[1]: Failed password for root from 192.0.2.70 port 22 ssh2`,
      `${h} sshd[1]: message repeated 4 times: [ Failed password for root from 192.0.2.70 port 22 ssh2]`,
      `${h} sshd[2]: [ID 800047 auth.info] Failed keyboard-interactive for <invalid username> from 192.0.2.71 port 42742 ssh2`,
      `${h} sshd[3]: Failed password for invalid user ROOT from 2001:DB8:AAAA::1`,
      `${h} sshd[4]: Failed password for root from ::ffff:192.0.2.72 port 5 ssh2`,
      `${h} sshd[4]: Accepted password for root from ::ffff:192.0.2.72 port 5 ssh2`,
    ];
    const r = await reviewAuth(await imageWith({ 'auth.log': lines.join('\n') + '\n' }), base());
    expect(r.topIps.map((i) => [i.ip, i.failures])).toEqual([
      ['192.0.2.70', 5],
      ['192.0.2.71', 1],
      ['192.0.2.72', 1],
      ['2001:db8:aaaa::1', 1],
    ]);
    expect(r.logins).toEqual([expect.objectContaining({ user: 'root', ip: '192.0.2.72', failedBefore: true })]);
    const pamOnly = await reviewAuth(await imageWith({ 'auth.log': `${h} sshd[9]: error: PAM: Authentication failure for illegal user k from host-9.example.com\n${h} sshd[9]: error: PAM: authentication error for james from 192.0.2.73 via 192.0.2.1\n` }), base());
    expect(pamOnly.topIps.map((i) => [i.ip, i.failures, i.invalidUsers])).toEqual([
      ['192.0.2.73', 1, 0],
      ['host-9.example.com', 1, 1],
    ]);
  });
});

describe('never a silent empty result', () => {
  const unknown = (n: number): string => Array.from({ length: n }, (_, i) => `${h} sshd[${i}]: Frobnicated widget ${i} for visitor from 203.0.113.${i % 250}\n`).join('');

  test('sshd lines of which none is recognised: one line, an error', async () => {
    const t = await imageWith({ 'auth.log': unknown(1240) });
    await expect(reviewAuth(t, base())).rejects.toThrow('/var/log/auth.log: 1,240 sshd/PAM lines read, none recognised');
  });

  test('more than half not recognised: a warning at the top; one input of two none recognised: an error beside the report', async () => {
    const good = readFileSync(join(FIX, 'compromise.log'), 'utf8');
    const half = await reviewAuth(await imageWith({ 'auth.log': good + unknown(40) }), base());
    expect(half.warnings[0]).toBe('/var/log/auth.log: 40 of 64 sshd/PAM lines not recognised: the counts below may be low');
    expect(half.errors).toEqual([]);
    expect(renderAuthReport(half).split('\n')[1]).toMatch(/^warning: .*40 of 64 sshd\/PAM lines not recognised/);
    const two = await reviewAuth(await imageWith({ 'auth.log': good, 'auth.log.1': unknown(12) }), base());
    expect(two.errors).toEqual(['/var/log/auth.log.1: 12 sshd/PAM lines read, none recognised: not a format ir reads (docs/auth-review.md lists those it does)']);
    expect(two.counts.failures).toBe(19);
    expect(renderAuthReport(two).split('\n')[1]).toMatch(/^ERROR: \/var\/log\/auth\.log\.1: 12 sshd\/PAM lines read, none recognised/);
  });

  test('lines with no syslog header at all: an error, never "0 failed attempts"', async () => {
    await expect(reviewAuth(await imageWith({ 'auth.log': 'this is not a log\nnor is this\n' }), base())).rejects.toThrow(/2 lines read, none with a syslog header/);
  });

  test('an empty file, a file of other programs, or a window after the last line: "no auth lines", not an error', async () => {
    const empty = await reviewAuth(await imageWith({ 'auth.log': '' }), base());
    expect(empty.counts.authLines).toBe(0);
    expect(empty.errors).toEqual([]);
    expect(renderAuthReport(empty)).toMatch(/^no auth lines \(sshd, sudo, su, login, PAM\): 0 lines read$/m);
    const cron = await reviewAuth(await imageWith({ 'auth.log': `${h} CRON[5]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n` }), base());
    expect(cron.counts).toMatchObject({ authLines: 0, lines: 1 });
    const late = await reviewAuth(await imageWith({ 'auth.log': readFileSync(join(FIX, 'compromise.log')) }), base({ since: Date.parse('2026-11-25T00:00:00Z') }));
    expect(late.counts).toMatchObject({ authLines: 0, failures: 0 });
    expect(late.errors).toEqual([]);
    expect(renderAuthReport(late)).toMatch(/^no auth lines in the window /m);
  });
});

describe('a truncated archive', () => {
  const gz = gzipSync(readFileSync(join(FIX, 'compromise.log')));
  const cut = gz.subarray(0, gz.length - 40);

  test.each([
    ['alone', { 'auth.log.2.gz': cut }],
    ['beside a good file', { 'auth.log.2.gz': cut, 'auth.log': readFileSync(join(FIX, 'debian12-auth.log')) }],
  ])('%s: what it held is counted, the cut is an error at the top (exit 2)', async (_name, files) => {
    const r = await reviewAuth(await imageWith(files), base());
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^\/var\/log\/auth\.log\.2\.gz: gzip data cut short \(unexpected end of file\): a truncated archive after \d+ lines: the rest was not read$/);
    expect(r.sources[0]!.lines).toBeGreaterThan(10);
    expect(r.counts.failures).toBeGreaterThan(10);
    const human = renderAuthReport(r).split('\n');
    expect(human[1]).toMatch(/^ERROR: \/var\/log\/auth\.log\.2\.gz: gzip data cut short/);
    expect(human.at(-1)).toMatch(/^ERROR: 1 input not read to the end or not understood/);
  });

  test('a missing file beside a good one stays a note (a location that does not exist is not an error)', async () => {
    const r = await reviewAuth(await imageWith({ 'auth.log': readFileSync(join(FIX, 'compromise.log')) }), base({ files: ['/var/log/auth.log', '/var/log/gone.log'] }));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual(['/var/log/gone.log: no such file']);
  });
});

describe('addresses in one spelling (issue 15 §7)', () => {
  test('--ip compares canonical addresses; the report shows them canonical', async () => {
    const lines = [
      `${h} sshd[1]: Failed password for root from ::ffff:203.0.113.5 port 1 ssh2`,
      `${h} sshd[2]: Failed password for root from 2001:db8::bad port 2 ssh2`,
      `${h} sshd[3]: Failed password for root from 2001:DB8:0:0::BAD port 3 ssh2`,
      `${h} sshd[4]: Failed password for root from 198.51.100.4 port 4 ssh2`,
    ];
    const t = await imageWith({ 'auth.log': lines.join('\n') + '\n' });
    const all = await reviewAuth(t, base());
    expect(all.topIps.map((i) => [i.ip, i.failures])).toEqual([
      ['2001:db8::bad', 2],
      ['198.51.100.4', 1],
      ['203.0.113.5', 1],
    ]);
    for (const [ip, n] of [['2001:DB8::BAD', 2], ['2001:db8:0::bad', 2], ['::ffff:203.0.113.5', 1], ['203.0.113.5', 1], ['::FFFF:cb00:7105', 1]] as const) {
      const r = await reviewAuth(t, base({ ip }));
      expect([ip, r.counts.failures, r.filter.ip]).toEqual([ip, n, r.topIps[0]!.ip]);
    }
  });
});
