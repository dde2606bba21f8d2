import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFail2banConfig } from '../../src/fail2ban/config.js';
import { fail2banTime, parseIni } from '../../src/fail2ban/ini.js';
import { readBanDatabase, readBanHistory } from '../../src/fail2ban/database.js';
import { checkJail } from '../../src/fail2ban/status.js';
import { ImageHost } from '../../src/host/image.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { ROOT } from '../helpers/cli.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ir-f2bconf-'));
  mkdirSync(join(root, 'etc'));
  cpSync(join(ROOT, 'test/fixtures/fail2ban/etc'), join(root, 'etc/fail2ban'), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('override order: jail.conf < jail.d/*.conf < jail.local < jail.d/*.local; includes; interpolation', async () => {
  const c = (await readFail2banConfig(await ImageHost.open(root)))!;
  // in fail2ban's merge order: an include before the file that names it (configparserinc._getIncludes)
  expect(c.files).toEqual([
    '/etc/fail2ban/paths-common.conf',
    '/etc/fail2ban/paths-debian.conf',
    '/etc/fail2ban/jail.conf',
    '/etc/fail2ban/jail.d/defaults-debian.conf',
    '/etc/fail2ban/jail.local',
    '/etc/fail2ban/jail.d/zz-hardening.local',
    '/etc/fail2ban/fail2ban.conf',
  ]);
  const sshd = c.jails.find((j) => j.name === 'sshd')!;
  expect(sshd).toMatchObject({ enabled: true, maxretry: 3, findtime: 600, bantime: 365 * 86400, banaction: 'nftables-multiport', backend: 'auto', logpath: ['/var/log/auth.log'], port: 'ssh' });
  expect(sshd.action).toBe('nftables-multiport[port="ssh", protocol="tcp", chain="<known/chain>"]');
  // a jail's own key beats [DEFAULT], even a [DEFAULT] of a later file
  expect(c.jails.find((j) => j.name === 'recidive')).toMatchObject({ enabled: true, bantime: 604800, findtime: 86400, maxretry: 5, banaction: 'iptables-allports' });
  expect(c.jails.find((j) => j.name === 'nginx-http-auth')).toMatchObject({ enabled: false, bantime: 86400, logpath: ['/var/log/nginx/*error.log'] });
  expect(c.server).toEqual({ socket: '/var/run/fail2ban/fail2ban.sock', dbfile: '/var/lib/fail2ban/fail2ban.sqlite3', logtarget: '/var/log/fail2ban.log' });
});

test('no configuration: null', async () => {
  expect(await readFail2banConfig(await ImageHost.open(root), '/etc/nothing')).toBeNull();
});

test('ini: continuation lines, comments, durations', () => {
  const ini = parseIni('[sshd]\nlogpath = /var/log/a.log\n          /var/log/b.log\n# comment\nport = ssh ; inline\n', '/j').sections;
  expect(ini.get('sshd')!.get('logpath')!.value).toBe('/var/log/a.log\n/var/log/b.log');
  expect(ini.get('sshd')!.get('port')!.value).toBe('ssh');
  expect(fail2banTime('600')).toBe(600);
  expect(fail2banTime('10m')).toBe(600);
  expect(fail2banTime('1d 12h')).toBe(129600);
  expect(fail2banTime('-1')).toBe(-1);
  // fail2ban's month is a twelfth of 365.25 days (MyTime.str2seconds), not 30 days
  expect(fail2banTime('1mo')).toBe(2629800);
  expect(fail2banTime('soon')).toBeNull();
});

test('policy checks of a jail', () => {
  const base = { name: 'sshd', enabled: true, running: true, filter: 'sshd', currentlyFailed: 0, totalFailed: 0, currentlyBanned: 0, totalBanned: 0, banned: [] };
  const ok = checkJail({ ...base, settings: { maxretry: 3, findtime: 600, bantime: -1, banaction: 'nftables-multiport', action: null, backend: 'systemd', logpath: [] } }, defaultPolicy());
  expect(ok.every((c) => c.ok)).toBe(true);
  const bad = checkJail({ ...base, settings: { maxretry: 5, findtime: 60, bantime: 600, banaction: 'iptables-multiport', action: null, backend: 'auto', logpath: [] } }, defaultPolicy());
  expect(bad.filter((c) => !c.ok).map((c) => c.id)).toEqual(['fail2ban.maxretry', 'fail2ban.bantime', 'fail2ban.findtime']);
});

test('offline bans from the sqlite database (bips) and Ban/Unban history from fail2ban.log', async () => {
  const require = createRequire(import.meta.url);
  const initSqlJs = require('sql.js') as typeof import('sql.js').default;
  const SQL = await initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
  const db = new SQL.Database();
  // schema of fail2ban 1.0.2 (server/database.py)
  db.run('CREATE TABLE bips(ip TEXT NOT NULL, jail TEXT NOT NULL, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON, PRIMARY KEY(ip, jail))');
  const now = Math.floor(Date.now() / 1000);
  db.run('INSERT INTO bips VALUES (?,?,?,?,?,?)', ['203.0.113.9', 'sshd', now - 60, 3600, 1, '{}']);
  db.run('INSERT INTO bips VALUES (?,?,?,?,?,?)', ['198.51.100.7', 'sshd', now - 7200, 3600, 2, '{}']);
  db.run('INSERT INTO bips VALUES (?,?,?,?,?,?)', ['2001:db8::9', 'recidive', now - 60, -1, 3, '{}']);
  mkdirSync(join(root, 'var/lib/fail2ban'), { recursive: true });
  writeFileSync(join(root, 'var/lib/fail2ban/fail2ban.sqlite3'), Buffer.from(db.export()));
  db.close();
  const t = await ImageHost.open(root);
  const bans = await readBanDatabase(t);
  expect(bans.map((b) => [b.ip, b.jail, b.active, b.expires === null])).toEqual([
    ['198.51.100.7', 'sshd', false, false],
    ['203.0.113.9', 'sshd', true, false],
    ['2001:db8::9', 'recidive', true, true],
  ]);
  expect(bans[1]!.bantimeSeconds).toBe(3600);

  mkdirSync(join(root, 'var/log'), { recursive: true });
  writeFileSync(
    join(root, 'var/log/fail2ban.log'),
    [
      '2026-11-24 00:28:49,870 fail2ban.filter         [4242]: INFO    [sshd] Found 203.0.113.9 - 2026-11-24 00:28:49',
      '2026-11-24 00:28:50,123 fail2ban.actions        [4242]: NOTICE  [sshd] Ban 203.0.113.9',
      '2026-11-24 01:28:50,456 fail2ban.actions        [4242]: NOTICE  [sshd] Unban 203.0.113.9',
      '2026-11-24 02:00:00,000 fail2ban.actions        [4242]: NOTICE  [sshd] Restore Ban 198.51.100.7',
    ].join('\n') + '\n',
  );
  const h = await readBanHistory(t);
  expect(h).toEqual({
    bans: 1,
    unbans: 1,
    events: [
      { time: '2026-11-24T00:28:50', jail: 'sshd', action: 'Ban', ip: '203.0.113.9' },
      { time: '2026-11-24T01:28:50', jail: 'sshd', action: 'Unban', ip: '203.0.113.9' },
      { time: '2026-11-24T02:00:00', jail: 'sshd', action: 'Restore Ban', ip: '198.51.100.7' },
    ],
  });
});
