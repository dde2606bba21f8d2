import { bodyfileLine, modeString } from '../../src/collect/bodyfile.js';
import { globMatcher, parseSince, parseSize } from '../../src/collect/options.js';
import { ByteBudget } from '../../src/collect/processes.js';
import { REDACTED, Redactor } from '../../src/collect/redact.js';
import type { FileStat } from '../../src/host/target.js';

const st = (over: Partial<FileStat>): FileStat => ({ type: 'file', mode: 0o644, uid: 0, gid: 0, size: 10, mtime: 1_700_000_000.5, atime: 1_700_000_001, ctime: 1_700_000_002, ino: 42, ...over });

test('sizes and --since', () => {
  expect(parseSize('512M', '--x')).toBe(512 * 1024 ** 2);
  expect(parseSize('1048576', '--x')).toBe(1048576);
  expect(() => parseSize('lots', '--x')).toThrow(/not a size/);
  const now = new Date('2026-01-10T12:00:00Z');
  expect(parseSince('2h', now).toISOString()).toBe('2026-01-10T10:00:00.000Z');
  expect(parseSince('3d', now).toISOString()).toBe('2026-01-07T12:00:00.000Z');
  expect(parseSince('2026-01-01', now).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  expect(parseSince('2026-01-01T05:00:00', now).toISOString()).toBe('2026-01-01T05:00:00.000Z');
  expect(() => parseSince('yesterday', now)).toThrow(/not a duration/);
});

test('exclude globs', () => {
  const m = globMatcher(['/var/log/journal', '*.core', '/home/**/cache']);
  expect(m('/var/log/journal/abc/system.journal')).toBe(true);
  expect(m('/var/log/journald')).toBe(false);
  expect(m('/srv/app/dump.core')).toBe(true);
  expect(m('/home/a/b/cache')).toBe(true);
  expect(m('/home/a/b/cached')).toBe(false);
});

test('bodyfile lines as mactime reads them', () => {
  expect(modeString(st({ mode: 0o4755 }))).toBe('-rwsr-xr-x');
  expect(modeString(st({ type: 'dir', mode: 0o1777 }))).toBe('drwxrwxrwt');
  expect(bodyfileLine('/etc/pass|wd', st({}))).toBe('0|/etc/pass\\|wd|42|-rw-r--r--|0|0|10|1700000001|1700000000|1700000002|0\n');
  expect(bodyfileLine('/tmp/l', st({ type: 'symlink', mode: 0o777 }), '/etc')).toContain('|/tmp/l -> /etc|42|lrwxrwxrwx|');
});

test('secrets from .env and secret-named variables are redacted everywhere, and counted', () => {
  const r = new Redactor(true);
  expect(r.learnEnvFile('APP_MODE=prod\nDB_PASSWORD="s3cr3t-value"\nexport SHARED=tok-abcdef\n')).toEqual(['APP_MODE', 'DB_PASSWORD', 'SHARED']);
  const env = r.envList(['APP_MODE=prod', 'DB_PASSWORD=s3cr3t-value', 'X=tok-abcdef', 'API_TOKEN=zzz']);
  expect(env.entries).toEqual(['APP_MODE=prod', `DB_PASSWORD=${REDACTED}`, `X=${REDACTED}`, `API_TOKEN=${REDACTED}`]);
  expect(env.count).toBe(3);
  const y = r.yamlText('services:\n  app:\n    environment:\n      DB_PASSWORD: s3cr3t-value\n      URL: postgres://u:s3cr3t-value@db.example.com/x\n');
  expect(y.text).not.toContain('s3cr3t-value');
  expect(y.count).toBe(2);
  expect(new Redactor(false).envList(['DB_PASSWORD=x']).entries).toEqual(['DB_PASSWORD=x']);
});

test('process bodies fetched side by side: bytes held within the budget, first come first served, a larger one alone', async () => {
  const b = new ByteBudget(100);
  const order: string[] = [];
  const take = (name: string, n: number) => b.take(n).then(() => order.push(name));
  await take('a', 60);
  const waiting = [take('b', 50), take('c', 10), take('d', 500)];
  await new Promise((r) => setImmediate(r));
  // c would fit, but b asked first: nothing overtakes
  expect(order).toEqual(['a']);
  b.give(60);
  await new Promise((r) => setImmediate(r));
  expect(order).toEqual(['a', 'b', 'c']);
  // d is larger than the whole budget: it goes once nothing else is held
  b.give(50);
  await new Promise((r) => setImmediate(r));
  expect(order).toEqual(['a', 'b', 'c']);
  b.give(10);
  await Promise.all(waiting);
  expect(order).toEqual(['a', 'b', 'c', 'd']);
});
