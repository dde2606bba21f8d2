import { chmodSync, chownSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { runChecks } from '../../src/sweep/runner.js';
import type { CheckResult } from '../../src/sweep/result.js';
import { ROOT } from '../helpers/cli.js';
import { CHECKS } from '../../src/sweep/registry.js';

/** git keeps neither owners nor modes 600/640/750: the test sets them on a copy, as a real host has them. */
const MODES: Record<string, [string, number, number][]> = {
  good: [
    ['srv/shop', 0o750, 998],
    ['srv/shop/app', 0o750, 998],
    ['srv/shop/app/web', 0o750, 998],
    ['srv/shop/app/web/.env', 0o600, 998],
    ['srv/shop/app/web/shop', 0o750, 998],
    ['srv/shop/app/web/shop/settings.py', 0o640, 998],
    ['srv/shop/logs', 0o750, 998],
    ['srv/shop/logs/app.log', 0o640, 998],
    ['srv/shop/media', 0o750, 998],
    ['srv/shop/media/.keep', 0o640, 998],
  ],
  bad: [
    ['opt/shop', 0o755, 1003],
    ['opt/shop/app', 0o755, 1003],
    ['opt/shop/app/.env', 0o644, 1003],
    ['opt/shop/app/shop', 0o755, 1000],
    ['opt/shop/app/shop/settings.py', 0o644, 1000],
    ['opt/shop/logs', 0o755, 1003],
    ['opt/shop/logs/app.log', 0o644, 1003],
    ['opt/shop/uploads', 0o777, 1003],
    ['opt/shop/uploads/.keep', 0o666, 1003],
  ],
  broken: [],
};

export const NOW = new Date('2026-11-29T00:00:00Z');
const dirs: string[] = [];

export async function sweepFixture(name: 'good' | 'bad' | 'broken'): Promise<CheckResult[]> {
  const dir = mkdtempSync(join(tmpdir(), `ir-sweep-${name}-`));
  dirs.push(dir);
  cpSync(join(ROOT, 'test/fixtures/sweep', name), dir, { recursive: true });
  for (const [p, mode, uid] of MODES[name]!) {
    chmodSync(join(dir, p), mode);
    chownSync(join(dir, p), uid, uid);
  }
  const target = await ImageHost.open(dir);
  return runChecks(target, defaultPolicy(), { now: NOW });
}

const statuses = (rs: CheckResult[]) => Object.fromEntries(rs.map((r) => [r.key, r.status]));

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// the checks that need a running system, from the registry itself: offline they are all "not applicable"
const LIVE_ONLY = CHECKS.filter((c) => c.liveOnly).map((c) => c.id);
const offlineNa = Object.fromEntries(LIVE_ONLY.map((k) => [k, 'na']));
const SSH = (s: string) => Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`IR-SSH-00${n}:/etc/ssh/sshd_config`, s]));
const CERTS = (s: string) => ({ 'IR-TLS-001:/etc/letsencrypt/live/shop.example.com/cert.pem': s, 'IR-TLS-001:/etc/letsencrypt/live/shop.example.com/fullchain.pem': s });

test('good root: every file check passes, live-only checks are not applicable offline', async () => {
  const rs = await sweepFixture('good');
  const app = (id: string) => `${id}:/srv/shop`;
  expect(statuses(rs)).toEqual({
    ...offlineNa,
    ...SSH('pass'),
    ...CERTS('pass'),
    ...Object.fromEntries(['IR-F2B-001', 'IR-F2B-003', 'IR-F2B-004', 'IR-F2B-005', 'IR-F2B-006', 'IR-F2B-007', 'IR-F2B-008'].map((k) => [k, 'pass'])),
    ...Object.fromEntries(['IR-FW-001', 'IR-FW-002', 'IR-FW-003', 'IR-UPD-001', 'IR-UPD-002', 'IR-DCK-013', 'IR-DCK-014', 'IR-DCK-015', 'IR-DCK-016'].map((k) => [k, 'pass'])),
    ...Object.fromEntries(['IR-ACC-001', 'IR-ACC-002', 'IR-ACC-003', 'IR-RDS-001', 'IR-RDS-002', 'IR-RDS-003', 'IR-NGX-001', 'IR-NGX-002', 'IR-BAK-001'].map((k) => [k, 'pass'])),
    'IR-APP-005:gunicorn.service': 'pass',
    ...Object.fromEntries(['IR-APP-001', 'IR-APP-002', 'IR-APP-003', 'IR-APP-004', 'IR-LOG-001', 'IR-DJA-001', 'IR-DJA-002', 'IR-DJA-003'].map((id) => [app(id), 'pass'])),
    'IR-PG-001:/etc/postgresql/15/main': 'pass',
    'IR-PG-002:/etc/postgresql/15/main': 'pass',
  });
  const byKey = new Map(rs.map((r) => [r.key, r]));
  // Include and the Debian paths file are followed; the unit's WorkingDirectory leads to the app user's home
  expect(byKey.get('IR-SSH-002:/etc/ssh/sshd_config')!.actual).toBe('passwordauthentication no');
  expect(byKey.get('IR-F2B-008')!.actual).toBe('backend = systemd, journal at /var/log/journal');
  expect(byKey.get('IR-F2B-005')!.actual).toBe('bantime = 31536000 s');
  expect(byKey.get('IR-FW-003')!.actual).toBe('open: 22/tcp ALLOW 0.0.0.0/0; Nginx Full ALLOW 0.0.0.0/0');
  expect(byKey.get('IR-DJA-001:/srv/shop')!.evidence).toBe('/srv/shop/app/web/shop/settings.py line 3 (DEBUG from .env)');
  expect(byKey.get('IR-PG-003')!.reason).toBe('needs a running system (not available offline)');
});

test('bad root: each check fails with the value it read and where', async () => {
  const rs = await sweepFixture('bad');
  const app = (id: string) => `${id}:/opt/shop`;
  expect(statuses(rs)).toEqual({
    ...offlineNa,
    ...SSH('fail'),
    ...CERTS('fail'),
    'IR-F2B-001': 'pass',
    'IR-F2B-003': 'pass',
    ...Object.fromEntries(['IR-F2B-004', 'IR-F2B-005', 'IR-F2B-006', 'IR-F2B-007', 'IR-F2B-008'].map((k) => [k, 'fail'])),
    ...Object.fromEntries(['IR-FW-001', 'IR-FW-002', 'IR-FW-003', 'IR-UPD-001', 'IR-UPD-002', 'IR-DCK-013', 'IR-DCK-014', 'IR-DCK-015', 'IR-DCK-016'].map((k) => [k, 'fail'])),
    ...Object.fromEntries(['IR-ACC-001', 'IR-ACC-002', 'IR-ACC-003', 'IR-RDS-001', 'IR-RDS-002', 'IR-RDS-003', 'IR-NGX-001', 'IR-NGX-002', 'IR-BAK-001'].map((k) => [k, 'fail'])),
    'IR-APP-005:shop.service': 'fail',
    ...Object.fromEntries(['IR-APP-001', 'IR-APP-002', 'IR-APP-003', 'IR-APP-004', 'IR-LOG-001', 'IR-DJA-001', 'IR-DJA-002', 'IR-DJA-003'].map((id) => [app(id), 'fail'])),
    'IR-PG-001:/etc/postgresql/15/main': 'fail',
    'IR-PG-002:/etc/postgresql/15/main': 'fail',
  });
  const byKey = new Map(rs.map((r) => [r.key, r]));
  // a Match block that re-enables passwords is caught offline too
  expect(byKey.get('IR-SSH-002:/etc/ssh/sshd_config')!.actual).toBe('passwordauthentication yes; passwordauthentication yes (Match Address 198.51.100.0/24)');
  expect(byKey.get('IR-F2B-004')).toMatchObject({ actual: 'maxretry = 10', path: '/etc/fail2ban/jail.local', line: 3 });
  expect(byKey.get('IR-F2B-007')!.actual).toBe('actions: dummy');
  expect(byKey.get('IR-F2B-008')!.actual).toBe('backend = auto, logpath /var/log/auth.log does not exist');
  expect(byKey.get('IR-FW-003')!.actual).toBe('also open: 6379 ALLOW 0.0.0.0/0');
  expect(byKey.get('IR-ACC-001')).toMatchObject({ actual: 'empty: admin', severity: 'critical', line: 2 });
  expect(byKey.get('IR-ACC-002')!.actual).toBe('legacy (des), oldmd5 (md5)');
  expect(byKey.get('IR-ACC-003')!.actual).toBe('members: admin, shop');
  expect(byKey.get('IR-APP-003:/opt/shop')!.actual).toBe('/opt/shop/uploads 777, /opt/shop/uploads/.keep 666');
  expect(byKey.get('IR-APP-004:/opt/shop')!.actual).toBe('2 not owned by shop: /opt/shop/app/shop (uid 1000), /opt/shop/app/shop/settings.py (uid 1000)');
  expect(byKey.get('IR-PG-002:/etc/postgresql/15/main')!.actual).toBe('line 1: local all all trust; line 2: host all all 0.0.0.0/0 md5');
  expect(byKey.get('IR-TLS-001:/etc/letsencrypt/live/shop.example.com/cert.pem')!.actual).toBe('CN=shop.example.com, expires 2026-12-08 (9 days)');
  // secrets never reach the report
  expect(JSON.stringify(rs)).not.toMatch(/\$1\$c2Fsd|abJnggxhB/);
});

test('broken root: unparsable files are errors with file and line; missing tools are not applicable', async () => {
  const rs = await sweepFixture('broken');
  const byKey = new Map(rs.map((r) => [r.key, r]));
  expect(byKey.get('IR-SSH-001:/etc/ssh/sshd_config')).toMatchObject({ status: 'error', reason: '/etc/ssh/sshd_config line 1: unsupported value "maybe" for PermitRootLogin', line: 1 });
  expect(byKey.get('IR-F2B-003')).toMatchObject({ status: 'error', path: '/etc/fail2ban/jail.local', line: 3 });
  expect(byKey.get('IR-DCK-013')).toMatchObject({ status: 'error', path: '/etc/docker/daemon.json', line: 4 });
  expect(byKey.get('IR-PG-001:/etc/postgresql/15/main')).toMatchObject({ status: 'error', path: '/etc/postgresql/15/main/postgresql.conf', line: 2 });
  expect(byKey.get('IR-PG-002:/etc/postgresql/15/main')).toMatchObject({ status: 'error', line: 2 });
  expect(byKey.get('IR-RDS-001')).toMatchObject({ status: 'error', path: '/etc/redis/redis.conf', line: 2 });
  for (const k of ['IR-FW-001', 'IR-UPD-001', 'IR-ACC-001', 'IR-NGX-001', 'IR-TLS-001', 'IR-APP-001']) {
    expect(byKey.get(k)).toMatchObject({ status: 'na' });
    expect(byKey.get(k)!.reason).toBeTruthy();
  }
  expect(rs.filter((r) => r.status === 'error').every((r) => r.path && r.line)).toBe(true);
});
