import { bodyfileLine, modeString } from '../../src/collect/bodyfile.js';
import { globMatcher, parseSince, parseSize } from '../../src/collect/options.js';
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
