import { connectionSpecFor, parseSshdError } from '../../src/host/facts/sshd.js';
import { parseUfwStatus, parseUfwUserRules } from '../../src/sweep/facts/ufw.js';
import { isLocalAddress, parseSs } from '../../src/sweep/facts/sockets.js';
import { hashKind } from '../../src/host/facts/passwd.js';
import { evaluateSetting } from '../../src/sweep/facts/django.js';
import { defaultGatewayOf } from '../../src/sweep/facts/docker.js';
import { parseEnv, parseUnit } from '../../src/sweep/facts/apps.js';

test('sshd: a -C spec per Match block, refused configs with file and line', () => {
  expect(connectionSpecFor('Address 198.51.100.0/24')).toBe('user=root,host=ir-sweep.invalid,addr=198.51.100.0');
  expect(connectionSpecFor('User deploy Host *.example.com')).toBe('user=deploy,host=x.example.com,addr=192.0.2.10');
  expect(connectionSpecFor('Address 10.*,!10.1.*')).toBe('user=root,host=ir-sweep.invalid,addr=10.1.1.1');
  expect(connectionSpecFor('Group admins')).toBeNull();
  expect(parseSshdError('/etc/ssh/sshd_config: line 4: Bad configuration option: Foo\n', '/x')).toEqual({ message: '/etc/ssh/sshd_config: line 4: Bad configuration option: Foo', path: '/etc/ssh/sshd_config', line: 4 });
  expect(parseSshdError('/etc/ssh/sshd_config line 7: unsupported option "x".\n', '/x')).toMatchObject({ path: '/etc/ssh/sshd_config', line: 7 });
});

// fail2ban's INI and times: test/unit/fail2ban-ini.test.ts (one reader for ir fail2ban and the sweep)

test('ufw: status table and user.rules tuples', () => {
  const st = parseUfwStatus('Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), disabled (routed)\nNew profiles: skip\n\nTo                         Action      From\n--                         ------      ----\n22/tcp                     ALLOW IN    Anywhere\n6000:6002/tcp              ALLOW IN    192.0.2.0/24\nNginx Full                 ALLOW IN    Anywhere\n22/tcp (v6)                ALLOW IN    Anywhere (v6)\n');
  expect(st.active).toBe(true);
  expect(st.defaultIncoming).toBe('deny');
  expect(st.rules.map((r) => [r.to, r.ports, r.anywhere])).toEqual([
    ['22/tcp', [22], true],
    ['6000:6002/tcp', [6000, 6001, 6002], false],
    ['Nginx Full', [80, 443], true],
    ['22/tcp (v6)', [22], true],
  ]);
  expect(parseUfwUserRules('### tuple ### allow any 6379 0.0.0.0/0 any 0.0.0.0/0 in\n### tuple ### deny tcp 25 0.0.0.0/0 any 0.0.0.0/0 out\n').map((r) => r.to)).toEqual(['6379']);
});

test('ss, shadow hashes, routes, units and env files', () => {
  const s = parseSs('tcp   LISTEN 0      511          0.0.0.0:6379      0.0.0.0:*    users:(("redis-server",pid=9,fd=6))\ntcp   LISTEN 0      128        [::1]:5432         [::]:*\nudp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*\n');
  expect(s.map((x) => [x.proto, x.address, x.port, x.process])).toEqual([
    ['tcp', '0.0.0.0', 6379, 'redis-server'],
    ['tcp', '::1', 5432, undefined],
    ['udp', '127.0.0.53', 53, undefined],
  ]);
  expect([isLocalAddress('127.0.0.1'), isLocalAddress('::1'), isLocalAddress('0.0.0.0'), isLocalAddress('')]).toEqual([true, true, false, false]);
  expect(['', '!', '*', '$1$x$y', 'abJnggxhB/yWI', '$6$s$h', '$y$j9T$s$h'].map(hashKind)).toEqual(['empty', 'locked', 'locked', 'md5', 'des', 'sha512', 'yescrypt']);
  expect(defaultGatewayOf('Iface\tDestination\tGateway\nn eth0\t00000000\t0100D60A\t0003\n'.replace('n eth0', 'eth0'))).toBe('10.214.0.1');
  expect(defaultGatewayOf('Iface\tDestination\tGateway\neth0\t0000D60A\t00000000\n')).toBeNull();
  const u = parseUnit('[Service]\nUser=app\nExecStart=/v/bin/gunicorn \\\n   --workers 3 \\\n   app.wsgi\nEnvironmentFile=-/srv/app/.env\n');
  expect(u.get('Service.ExecStart')).toEqual(['/v/bin/gunicorn --workers 3 app.wsgi']);
  expect(parseEnv('export A="x y"\nB=1 # note\n#C=3\n')).toEqual(new Map([['A', 'x y'], ['B', '1']]));
});

test('Django settings: literals and the getenv shapes of the guide', () => {
  const env = new Map([['DEBUG', 'False'], ['SESSION_COOKIE_SECURE', 'True']]);
  expect(evaluateSetting("os.getenv('DEBUG', 'False').lower() == 'true'", env).value).toBe(false);
  expect(evaluateSetting("os.getenv('SESSION_COOKIE_SECURE', 'False').lower() == 'true'", env).value).toBe(true);
  expect(evaluateSetting("os.getenv('CSRF_COOKIE_SECURE', 'False').lower() == 'true'", env).value).toBe(false);
  expect(evaluateSetting("env.bool('DEBUG', default=True)", new Map()).value).toBe(true);
  expect(evaluateSetting('60 * 60 * 24 * 365', env).value).toBe(31536000);
  expect(evaluateSetting("os.environ['X']", new Map()).value).toBeUndefined();
  expect(evaluateSetting('compute_debug()', env).value).toBeUndefined();
});
