import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Issue 20 §2: the bundled example keeps its intended file times, so its findings fall in one incident
 * window. git keeps no mtimes: `npm run build` applies examples/compromised-host/.file-times. Every
 * file, directory and link of the example is listed there, never left at the time of the checkout.
 */
const EXAMPLE = 'examples/compromised-host';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return lstatSync(p).isDirectory() ? [p, ...walk(p)] : [p];
  });
}

const lines = readFileSync(join(EXAMPLE, '.file-times'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'));
const manifest = new Map(
  lines.map((l) => {
    const [t, p] = l.split(/ (.*)/s) as [string, string];
    return [p, t];
  }),
);

test('the manifest names every path of the example, once, with a UTC time', () => {
  const paths = ['.', ...walk(EXAMPLE).map((p) => relative(EXAMPLE, p))].sort();
  expect([...manifest.keys()].sort()).toEqual(paths);
  expect(lines).toHaveLength(manifest.size);
  for (const t of manifest.values()) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('npm run example:times (part of the build) gives every path its time, links included', () => {
  execFileSync('npm', ['run', '-s', 'example:times'], { stdio: 'pipe' });
  const wrong: string[] = [];
  for (const [p, t] of manifest) {
    const m = lstatSync(join(EXAMPLE, p)).mtime.toISOString().replace('.000Z', 'Z');
    if (m !== t) wrong.push(`${p}: ${m}, expected ${t}`);
  }
  expect(wrong).toEqual([]);
  expect(readFileSync('package.json', 'utf8')).toMatch(/"build": "[^"]*npm run -s example:times/);
});

test('the planted files were changed within minutes after the login at 02:30:30 that ended the brute force', () => {
  const planted = ['home/deploy/.ssh/authorized_keys2', 'var/spool/cron/crontabs/root', 'var/spool/cron/crontabs/deploy', 'etc/systemd/system/dbus-org.freedesktop.resolve2.service', 'etc/ld.so.preload', 'var/www/.ssh/authorized_keys'];
  const login = Date.parse('2026-11-27T02:30:30Z');
  for (const p of planted) {
    const t = Date.parse(manifest.get(p)!);
    expect(t - login).toBeGreaterThan(0);
    expect(t - login).toBeLessThan(10 * 60_000);
  }
  // the auth log was last written with its last line, so its year (2026) is read from its mtime
  expect(manifest.get('var/log/auth.log')).toBe('2026-11-27T02:34:15Z');
});
