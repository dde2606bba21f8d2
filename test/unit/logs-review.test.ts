import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ImageHost } from '../../src/host/image.js';
import { renderAuthReport } from '../../src/output/auth-review.js';
import { AuthReport } from '../../src/logs/auth-report.js';
import { AUTH_REVIEW_DEFAULTS, discoverAuthLogs, reviewAuth, type AuthReviewOptions } from '../../src/logs/auth-review.js';
import { lineHandler } from '../../src/logs/auth-scan.js';
import { mergeStats, newStats, subnetOf } from '../../src/logs/auth-stats.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { ROOT } from '../helpers/cli.js';

const FIX = join(ROOT, 'test/fixtures/authlog');
let dir: string;

const base = (o: Partial<AuthReviewOptions> = {}): AuthReviewOptions => ({
  files: [],
  journal: false,
  offsetMinutes: 0,
  ...AUTH_REVIEW_DEFAULTS,
  tail: 0,
  policy: defaultPolicy(),
  workers: 0,
  ...o,
});

function imageWith(files: Record<string, Buffer | string>, mtimes: Record<string, Date> = {}): string {
  const root = mkdtempSync(join(dir, 'root-'));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'var/log'), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(root, 'var/log', name), content);
    const m = mtimes[name];
    if (m) utimesSync(join(root, 'var/log', name), m, m);
  }
  return root;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ir-auth-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sources', () => {
  test('rotated siblings found oldest first, gzip read by content, each year from its own mtime', async () => {
    const root = imageWith(
      {
        'auth.log': 'Jan  2 10:00:00 web-01 sshd[3]: Failed password for root from 192.0.2.3 port 3 ssh2\n',
        'auth.log.1': 'Dec 31 23:59:00 web-01 sshd[2]: Failed password for root from 192.0.2.2 port 2 ssh2\nJan  1 00:01:00 web-01 sshd[2]: Failed password for root from 192.0.2.2 port 2 ssh2\n',
        'auth.log.2.gz': gzipSync('Dec 20 08:00:00 web-01 sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\n'),
        'auth.log.10.gz': gzipSync('Nov 20 08:00:00 web-01 sshd[1]: Failed password for root from 192.0.2.9 port 1 ssh2\n'),
        'secure-20251201': 'Nov 30 08:00:00 web-01 sshd[1]: Failed password for root from 192.0.2.8 port 1 ssh2\n',
        'syslog': 'not an auth log\n',
      },
      { 'auth.log': new Date('2026-01-02T10:00:00Z'), 'auth.log.1': new Date('2026-01-01T06:25:00Z'), 'auth.log.2.gz': new Date('2025-12-25T06:25:00Z'), 'auth.log.10.gz': new Date('2025-11-21T06:25:00Z'), 'secure-20251201': new Date('2025-12-01T03:00:00Z') },
    );
    const t = await ImageHost.open(root);
    expect((await discoverAuthLogs(t)).map((p) => p.split('/').pop())).toEqual(['auth.log.10.gz', 'auth.log.2.gz', 'auth.log.1', 'auth.log', 'secure-20251201']);
    const r = await reviewAuth(t, base());
    expect(r.sources.map((s) => [s.name.split('/').pop(), s.compressed, s.lines])).toEqual([
      ['auth.log.10.gz', true, 1],
      ['auth.log.2.gz', true, 1],
      ['auth.log.1', false, 2],
      ['auth.log', false, 1],
      ['secure-20251201', false, 1],
    ]);
    expect(r.range).toEqual({ first: '2025-11-20T08:00:00.000Z', last: '2026-01-02T10:00:00.000Z' });
    expect(r.topIps.find((i) => i.ip === '192.0.2.2')).toMatchObject({ failures: 2, firstSeen: '2025-12-31T23:59:00.000Z', lastSeen: '2026-01-01T00:01:00.000Z' });
    expect(r.histogram.bucket).toBe('day');
    expect(r.fail2ban.asked).toBe(false);
  });

  test('a journalctl -o json file is recognised by its content, also gzipped', async () => {
    const json = readFileSync(join(FIX, 'journal.json'));
    const root = imageWith({ 'exported.txt': json, 'j.gz': gzipSync(json) });
    const t = await ImageHost.open(root);
    const r = await reviewAuth(t, base({ files: ['/var/log/exported.txt', '/var/log/j.gz'] }));
    expect(r.sources.map((s) => [s.format, s.compressed])).toEqual([
      ['journal-json', false],
      ['journal-json', true],
    ]);
    expect(r.counts.accepted).toBe(2);
    expect(r.hosts).toEqual(['web-03']);
  });

  test('stdin, and a missing file is a warning, not the end of the run', async () => {
    const root = imageWith({});
    const t = await ImageHost.open(root);
    const r = await reviewAuth(t, base({ files: ['-', '/var/log/nope.log'], stdin: Readable.from([readFileSync(join(FIX, 'debian12-auth.log'))]) }));
    expect(r.sources[0]).toMatchObject({ name: '(stdin)', format: 'syslog' });
    expect(r.sources[1]!.error).toMatch(/no such file/);
    expect(r.warnings.length).toBe(1);
    expect(r.counts.accepted).toBe(2);
    await expect(reviewAuth(t, base({ files: ['/var/log/nope.log'] }))).rejects.toThrow(/no log could be read/);
  });

  test('logs/ asks for the capability: a target that cannot open a file for positioned reads is streamed, with the same report', async () => {
    const root = imageWith({ 'auth.log': readFileSync(join(FIX, 'debian12-auth.log')), 'auth.log.1': gzipSync(readFileSync(join(FIX, 'compromise.log'))) });
    const image = await ImageHost.open(root);
    let positioned = 0;
    const counting = Object.assign(Object.create(image) as ImageHost, {
      openPositioned: (p: string) => {
        positioned++;
        return image.openPositioned(p);
      },
    });
    // the same target without the capability (an ssh target has none)
    const streamed = Object.assign(Object.create(image) as ImageHost, { openPositioned: undefined });
    const a = await reviewAuth(counting, base());
    const b = await reviewAuth(streamed, base());
    expect(positioned).toBe(2);
    expect(a).toEqual(b);
    expect(a.counts.failures).toBeGreaterThan(19);
  });

  test('openPositioned of an image: a final symlink and a FIFO are refused, as openRead refuses them (an error, not a note)', async () => {
    const line = 'Nov 24 01:00:00 web-01 sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\n';
    const root = imageWith({ 'auth.log': line });
    writeFileSync(join(root, 'etc/shadow'), 'root:x:1::::::\n');
    symlinkSync('/etc/shadow', join(root, 'var/log/secure'));
    execFileSync('mkfifo', [join(root, 'var/log/auth.log.1')]);
    const t = await ImageHost.open(root);
    await expect(t.openPositioned('/var/log/secure')).rejects.toThrow(/symbolic link/);
    await expect(t.openPositioned('/var/log/auth.log.1')).rejects.toThrow(/not a regular file \(fifo\)/);
    const f = await t.openPositioned('/var/log/auth.log');
    try {
      expect([f.size, await f.indexOf(10, 0), await f.indexOf(10, line.length)]).toEqual([line.length, line.length - 1, -1]);
    } finally {
      await f.close();
    }
    const r = await reviewAuth(t, base({ files: ['/var/log/secure', '/var/log/auth.log.1', '/var/log/auth.log'] }));
    expect(r.errors.map((e) => e.split(':')[0])).toEqual(['/var/log/secure', '/var/log/auth.log.1']);
    expect(r.counts.failures).toBe(1);
  });

  test('offline without an auth log: a warning, no journal', async () => {
    const t = await ImageHost.open(imageWith({}));
    const r = await reviewAuth(t, base());
    expect(r.warnings[0]).toMatch(/no auth.log or secure/);
    expect(r.counts.lines).toBe(0);
  });
});

describe('report and alerts', () => {
  async function compromise(o: Partial<AuthReviewOptions> = {}): Promise<AuthReport> {
    const root = imageWith({ 'auth.log': readFileSync(join(FIX, 'compromise.log')) }, { 'auth.log': new Date('2026-11-24T06:00:00Z') });
    return reviewAuth(await ImageHost.open(root), base(o));
  }

  test('brute force then success from the same address is critical; root and password logins; spray; new sudoer', async () => {
    const r = await compromise();
    expect(AuthReport.parse(r)).toBeTruthy();
    const rules = r.alerts.map((a) => `${a.severity} ${a.rule} ${a.details?.ip ?? a.user}`);
    expect(rules).toEqual([
      'critical auth.success-after-brute-force 203.0.113.50',
      'high auth.password-login 203.0.113.50',
      'high auth.root-login 198.51.100.9',
      'medium auth.brute-force 203.0.113.50',
      'medium auth.password-spray 192.0.2.90',
      'medium auth.new-sudo-user backup2',
    ]);
    expect(r.alerts[0]!.evidence).toContain('Accepted password for deploy from 203.0.113.50');
    expect(r.alerts[0]!.attack).toBe('T1110');
    const login = r.logins.find((l) => l.ip === '203.0.113.50')!;
    expect(login).toMatchObject({ user: 'deploy', method: 'password', failedBefore: true, failuresFromIp: 12, afterBruteForce: true });
    // 203.0.113.52 never failed, but 203.0.113.50 and .51 of its /24 did
    expect(r.logins.find((l) => l.ip === '203.0.113.52')).toMatchObject({ failedBefore: false, subnetFailedBefore: true, afterBruteForce: false });
    expect(r.topIps[0]).toMatchObject({ ip: '203.0.113.50', failures: 12, distinctUsers: 1, accepted: 1 });
    expect(r.topUsers[0]).toMatchObject({ user: 'deploy', failures: 12 });
    expect(r.counts).toMatchObject({ failures: 19, invalidUsers: 6, accepted: 3, sudo: 2 });
    const b = r.histogram.buckets.find((x) => x.start === '2026-11-24T03:00:00.000Z')!;
    expect(b).toMatchObject({ failures: 12, accepted: 2 });
    expect(b.alerts).toContain('auth.success-after-brute-force');
  });

  test('thresholds are flags; a policy allowing passwords and root keys silences those alerts', async () => {
    const policy = { ...defaultPolicy(), ssh: { permitRootLogin: 'prohibit-password', passwordAuthentication: true, maxAuthTries: 3 } };
    const r = await compromise({ bruteThreshold: 20, policy });
    expect(r.alerts.map((a) => a.rule)).toEqual(['auth.password-spray', 'auth.new-sudo-user']);
    expect(r.thresholds.bruteForce).toBe(20);
  });

  test('--since keeps earlier sudo as the baseline; --ip and --user filter; --tail', async () => {
    const r = await compromise({ since: Date.parse('2026-11-24T04:00:00Z'), tail: 3 });
    expect(r.counts.failures).toBe(7);
    expect(r.counts.outsideWindow).toBe(15);
    expect(r.alerts.map((a) => a.rule)).toEqual(['auth.password-spray', 'auth.new-sudo-user']);
    expect(r.tail).toEqual([
      'Nov 24 04:00:04 web-01 sshd[6004]: Invalid user git from 192.0.2.90 port 41004',
      'Nov 24 04:00:05 web-01 sshd[6005]: Invalid user ubuntu from 192.0.2.90 port 41005',
      'Nov 24 04:00:30 web-01 sshd[6100]: Failed password for root from 203.0.113.51 port 42000 ssh2',
    ]);
    const ip = await compromise({ ip: '192.0.2.90' });
    expect(ip.counts.failures).toBe(6);
    expect(ip.logins).toEqual([]);
    const user = await compromise({ user: 'root' });
    expect(user.logins.map((l) => l.ip)).toEqual(['198.51.100.9']);
  });

  test('one failure per attempt: an Invalid user line and its Failed password line count once', async () => {
    const root = imageWith({ 'auth.log': readFileSync(join(FIX, 'debian12-auth.log')) });
    const r = await reviewAuth(await ImageHost.open(root), base());
    // oracle: Invalid user + 2 Failed password (the first is the same attempt) = 2
    expect(r.topIps.find((i) => i.ip === '203.0.113.9')).toMatchObject({ failures: 3, invalidUsers: 2, maxAttemptsExceeded: 2 });
    expect(r.sudo.map((s) => [s.user, s.count, s.failures])).toEqual([
      ['deploy', 4, 0],
      ['deploy-nosudo', 0, 3],
    ]);
    expect(r.su).toMatchObject([{ user: 'deploy', targetUser: 'root', count: 1 }]);
    expect(r.accountChanges.map((a) => a.program)).toEqual(['useradd', 'useradd', 'usermod', 'usermod', 'passwd']);
    expect(r.alerts.map((a) => a.rule)).toEqual(['auth.password-login']);
  });

  test('timeline JSONL with Timesketch fields, only events in the window', async () => {
    const out = join(dir, 'timeline.jsonl');
    await compromise({ timeline: out, since: Date.parse('2026-11-24T05:00:00Z') });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'Nov 24 05:00:00 web-01 sudo:  backup2 : TTY=pts/3 ; PWD=/home/backup2 ; USER=root ; COMMAND=/bin/bash',
        datetime: '2026-11-24T05:00:00.000Z',
        timestamp_desc: 'Event Recorded',
        data_type: 'linux:auth:sudo.command',
        username: 'backup2',
        command: '/bin/bash',
        hostname: 'web-01',
      }),
    ]);
  });
});

describe('hostile content', () => {
  test('escapes stripped in human output, escaped in JSON, invalid UTF-8 as U+FFFD', async () => {
    const root = imageWith({ 'auth.log': readFileSync(join(FIX, 'hostile.log')) });
    const r = await reviewAuth(await ImageHost.open(root), base({ tail: 5 }));
    const human = renderAuthReport(r);
    expect(human).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(human).toContain('203.0.113.66');
    const json = JSON.stringify(r);
    expect(json).not.toMatch(/[\x00-\x1f]/);
    expect(json).toContain('\\u001b[31m');
    expect(json).toContain('\ufffd');
  });

  test('a 1 MB line in a file: parsed, cut, no stall', async () => {
    const big = `Nov 24 01:00:00 web-01 sshd[1]: Invalid user ${'A'.repeat(1 << 20)} from 203.0.113.5 port 1\nNov 24 01:00:01 web-01 sshd[2]: Failed password for root from 203.0.113.6 port 2 ssh2\n`;
    const root = imageWith({ 'auth.log': big });
    const t0 = Date.now();
    const r = await reviewAuth(await ImageHost.open(root), base());
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r.counts.lines).toBe(2);
    expect(r.topIps.map((i) => i.ip)).toEqual(['203.0.113.6']);
  });
});

describe('merging (worker threads add up their byte ranges)', () => {
  test('two halves merged give the counts of the whole', () => {
    const text = readFileSync(join(FIX, 'compromise.log'), 'utf8').split('\n').filter(Boolean);
    const opts = { bruteThreshold: AUTH_REVIEW_DEFAULTS.bruteThreshold, bruteWindowMs: AUTH_REVIEW_DEFAULTS.bruteWindowMs, tail: 2 };
    const run = (lines: string[]) => {
      const s = newStats();
      const h = lineHandler('syslog', { stats: s, opts, referenceMs: Date.parse('2026-11-24T06:00:00Z'), offsetMinutes: 0 });
      lines.forEach(h);
      return s;
    };
    const whole = run(text);
    const merged = mergeStats(run(text.slice(0, 9)), run(text.slice(9)), 2);
    expect(merged.lines).toBe(whole.lines);
    expect([...merged.ips.values()].map((i) => [i.ip, i.failures, i.users.size]).sort()).toEqual([...whole.ips.values()].map((i) => [i.ip, i.failures, i.users.size]).sort());
    expect(merged.tail.slice(-2)).toEqual(whole.tail.slice(-2));
    expect([...merged.hours]).toEqual([...whole.hours]);
  });

  test('a brute force whose window spans two merged parts is found as in one pass', () => {
    // 6 failures before the cut, 6 after, one a minute: the 10th failure (the 4th of the second part) crosses the threshold
    const lines = Array.from({ length: 12 }, (_, i) => `Nov 24 01:${String(i).padStart(2, '0')}:00 web-01 sshd[${100 + i}]: Failed password for root from 203.0.113.77 port ${4000 + i} ssh2`);
    const opts = { bruteThreshold: AUTH_REVIEW_DEFAULTS.bruteThreshold, bruteWindowMs: AUTH_REVIEW_DEFAULTS.bruteWindowMs, tail: 0, seam: true };
    const run = (part: string[]) => {
      const s = newStats();
      const h = lineHandler('syslog', { stats: s, opts, referenceMs: Date.parse('2026-11-24T06:00:00Z'), offsetMinutes: 0 });
      part.forEach(h);
      return s;
    };
    const whole = run(lines).ips.get('203.0.113.77')!;
    expect(whole.bruteLine).toBe(lines[9]);
    for (const cut of [1, 6, 9, 10, 11]) {
      const merged = mergeStats(mergeStats(newStats(), run(lines.slice(0, cut)), 0, opts), run(lines.slice(cut)), 0, opts).ips.get('203.0.113.77')!;
      expect([cut, merged.bruteAt, merged.bruteLine, merged.failures]).toEqual([cut, whole.bruteAt, whole.bruteLine, 12]);
    }
    // three parts, the middle one shorter than the threshold
    const three = [run(lines.slice(0, 4)), run(lines.slice(4, 7)), run(lines.slice(7))].reduce((a, b) => mergeStats(a, b, 0, opts), newStats()).ips.get('203.0.113.77')!;
    expect([three.bruteAt, three.bruteLine]).toEqual([whole.bruteAt, whole.bruteLine]);
  });

  test('an `Invalid user` line before the cut and its `Failed` line after it are one attempt', () => {
    const h = 'Nov 24 01:00:00 web-01';
    const lines = [
      `${h} sshd[500]: Invalid user oracle from 203.0.113.78 port 4000`,
      `${h} sshd[501]: Invalid user test from 203.0.113.79 port 4001`,
      `${h} sshd[500]: Failed password for invalid user oracle from 203.0.113.78 port 4000 ssh2`,
      `${h} sshd[501]: Failed password for invalid user test from 203.0.113.79 port 4001 ssh2`,
    ];
    const opts = { bruteThreshold: 10, bruteWindowMs: 600_000, tail: 0, seam: true };
    const run = (part: string[], pending?: Map<number, string>) => {
      const s = newStats();
      // a worker starts from the pending pids of the lines before its range (auth-worker.ts looks behind)
      if (pending) s.pendingInvalid = new Map(pending);
      part.forEach(lineHandler('syslog', { stats: s, opts, referenceMs: Date.parse('2026-11-24T06:00:00Z'), offsetMinutes: 0 }));
      return s;
    };
    const whole = run(lines);
    const first = run(lines.slice(0, 2));
    const merged = mergeStats(mergeStats(newStats(), first, 0, opts), run(lines.slice(2), first.pendingInvalid), 0, opts);
    expect([...merged.ips.values()].map((i) => [i.ip, i.failures])).toEqual([...whole.ips.values()].map((i) => [i.ip, i.failures]));
    expect([...merged.ips.values()].map((i) => i.failures)).toEqual([1, 1]);
    expect(merged.pendingInvalid.size).toBe(0);
  });

  test('subnets', () => {
    expect(subnetOf('203.0.113.9')).toBe('203.0.113.0/24');
    expect(subnetOf('2001:db8:1:2:3::4')).toBe('2001:db8:1:2::/64');
    expect(subnetOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(subnetOf('host.example.com')).toBeNull();
  });
});
