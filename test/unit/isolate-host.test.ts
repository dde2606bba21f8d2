import { addressFamily, normalizeRuleset, quarantineRuleset } from '../../src/isolate/host/firewall.js';
import { configFromCmdline, parseSshdListeners, parseSshdT } from '../../src/isolate/host/responder.js';
import { expandAuthorizedKeys, expireDate, lockSteps, unlockSteps } from '../../src/isolate/host/users.js';
import { parseDuration } from '../../src/isolate/host/watchdog.js';

test('the quarantine keeps SSH from the responder, v4 and v6, and established sessions unless asked', () => {
  const r = quarantineRuleset({ allow: ['192.0.2.7', '2001:db8::7', '198.51.100.0/24'], sshPorts: [2222, 22], keepEstablished: true });
  expect(r).toContain('elements = { 192.0.2.7, 198.51.100.0/24 }');
  expect(r).toContain('elements = { 2001:db8::7 }');
  expect(r).toContain('tcp dport { 22, 2222 } accept');
  expect(r.match(/policy drop;/g)).toHaveLength(3);
  expect(r).toContain('ct state established,related accept');
  expect(quarantineRuleset({ allow: ['192.0.2.7'], sshPorts: [22], keepEstablished: false })).not.toContain('ct state');
});

test('addresses are checked before they reach nft', () => {
  expect(addressFamily('192.0.2.1/32')).toBe(4);
  expect(() => addressFamily('192.0.2.1; flush ruleset')).toThrow();
  expect(() => addressFamily('192.0.2.1/33')).toThrow();
});

test('ruleset comparison ignores counters and ir\'s own table', () => {
  const before = 'table inet hostfw {\n\tchain input {\n\t\ttcp dport 80 counter packets 1 bytes 60 accept\n\t}\n}\n';
  const during = before.replace('packets 1 bytes 60', 'packets 9 bytes 900') + 'table inet ir_quarantine {\n\tchain input {\n\t}\n}\n';
  expect(normalizeRuleset(during)).toBe(normalizeRuleset(before));
});

test('sshd facts: listeners from ss, -f from the proctitle, ports from sshd -T', () => {
  expect(parseSshdListeners('LISTEN 0 128 0.0.0.0:2022 0.0.0.0:* users:(("sshd",pid=10090,fd=4))\nLISTEN 0 9 *:8080 *:* users:(("busybox",pid=1,fd=3))\nLISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=5,fd=3))')).toEqual([
    { port: 2022, pid: 10090 },
    { port: 22, pid: 5 },
  ]);
  expect(configFromCmdline('sshd: /usr/sbin/sshd -f /etc/ssh/alt_config [listener] 0 of 10-100 startups\0\0\0')).toBe('/etc/ssh/alt_config');
  expect(configFromCmdline('/usr/sbin/sshd\0-D\0')).toBeUndefined();
  expect(parseSshdT('port 22\nport 2200\nauthorizedkeysfile .ssh/authorized_keys /etc/keys/%u\n')).toEqual({ ports: [22, 2200], authorizedKeysFiles: ['.ssh/authorized_keys', '/etc/keys/%u'] });
});

test('lock and unlock are exact inverses of what was changed', () => {
  expect(expandAuthorizedKeys(['.ssh/authorized_keys', '/etc/keys/%u', '%h/k%%'], 'mallory', '/home/mallory')).toEqual(['/home/mallory/.ssh/authorized_keys', '/etc/keys/mallory', '/home/mallory/k%']);
  const u = { user: 'mallory', home: '/home/mallory', passwordLocked: true, expire: '20000', authorizedKeys: ['/home/mallory/.ssh/authorized_keys'] };
  const lock = lockSteps(u, 'X');
  expect(lock.map((s) => s.kind)).toEqual(['expire-account', 'move-keys']);
  expect(unlockSteps(u, lock).map((s) => s.argv.join(' '))).toEqual(['mv -n /home/mallory/.ssh/authorized_keys.ir-locked-X /home/mallory/.ssh/authorized_keys', 'usermod -e 2024-10-04 mallory']);
  expect(expireDate('')).toBe('');
});

test('durations', () => {
  expect(parseDuration('20s')).toBe(20);
  expect(parseDuration('5m')).toBe(300);
  expect(parseDuration('1h30m')).toBe(5400);
  expect(parseDuration('90')).toBe(90);
  expect(() => parseDuration('5 minutes')).toThrow();
});
