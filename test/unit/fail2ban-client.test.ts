import type { ExecOptions, ExecResult, Target } from '../../src/host/target.js';
import { unbanDanger, validateIps } from '../../src/fail2ban/actions.js';
import { isLoopbackIp as isLoopback } from '../../src/core/ip.js';
import { Fail2banClient, Fail2banError, Fail2banUnavailable, parseBanipWithTime, parseJailStatus, parsePyRepr } from '../../src/fail2ban/client.js';
import type { AuthReport } from '../../src/logs/auth-report.js';

// exact outputs of fail2ban 1.0.2 (/work/shared/recipes/real-services.md, section 2), TAB as in the original
const STATUS = 'Status for the jail: sshd\n|- Filter\n|  |- Currently failed:\t0\n|  |- Total failed:\t5\n|  `- File list:\t/var/log/auth.log\n`- Actions\n   |- Currently banned:\t3\n   |- Total banned:\t4\n   `- Banned IP list:\t198.51.100.7 203.0.113.10 203.0.113.9\n';
const EMPTY = 'Status for the jail: sshd\n|- Filter\n|  |- Currently failed:\t2\n|  |- Total failed:\t2\n|  `- Journal matches:\t_SYSTEMD_UNIT=sshd.service + _COMM=sshd\n`- Actions\n   |- Currently banned:\t0\n   |- Total banned:\t0\n   `- Banned IP list:\t\n';

test('status of a jail: counts, files or journal matches, banned list', () => {
  expect(parseJailStatus('sshd', STATUS)).toEqual({ jail: 'sshd', currentlyFailed: 0, totalFailed: 5, currentlyBanned: 3, totalBanned: 4, files: ['/var/log/auth.log'], journalMatches: undefined, bannedIps: ['198.51.100.7', '203.0.113.10', '203.0.113.9'] });
  expect(parseJailStatus('sshd', EMPTY)).toMatchObject({ currentlyFailed: 2, files: [], journalMatches: '_SYSTEMD_UNIT=sshd.service + _COMM=sshd', bannedIps: [] });
});

test('banip --with-time, and forever', () => {
  expect(parseBanipWithTime('203.0.113.9 \t2026-11-24 00:28:50 + 3600 = 2026-11-24 01:28:50\n2001:db8::9 \t2026-11-24 00:30:00 + -1 = 9999-12-31 23:59:59\n')).toEqual([
    { ip: '203.0.113.9', bannedAt: '2026-11-24T00:28:50', bantimeSeconds: 3600, expires: '2026-11-24T01:28:50' },
    { ip: '2001:db8::9', bannedAt: '2026-11-24T00:30:00', bantimeSeconds: -1, expires: undefined },
  ]);
  expect(parseBanipWithTime('\n')).toEqual([]);
});

test('Python repr of `banned`', () => {
  expect(parsePyRepr("[{'sshd': ['203.0.113.9']}, {'recidive': []}]")).toEqual([{ sshd: ['203.0.113.9'] }, { recidive: [] }]);
  expect(parsePyRepr("[['sshd'], []]")).toEqual([['sshd'], []]);
  expect(() => parsePyRepr('Sorry')).toThrow(Fail2banError);
});

function fakeTarget(answer: (argv: string[], opts?: ExecOptions) => Partial<ExecResult> | Error): Target {
  return {
    kind: 'local',
    name: 'test',
    live: true,
    exec: async (argv: string[], opts?: ExecOptions) => {
      const a = answer(argv, opts);
      if (a instanceof Error) throw a;
      return { argv, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), code: 0, startedAt: '', endedAt: '', ...a };
    },
  } as unknown as Target;
}

test('errors: not installed, not running, no such jail, permission', async () => {
  const { TargetError } = await import('../../src/host/target.js');
  await expect(new Fail2banClient(fakeTarget(() => new TargetError('ENOENT', 'fail2ban-client: command not found'))).jails()).rejects.toThrow(/not installed/);
  const down = fakeTarget(() => ({ code: 255, stderr: Buffer.from('2026-11-24 00:00:00,000 fail2ban [1]: ERROR   Failed to access socket path: /no/such.sock. Is fail2ban running?\n') }));
  await expect(new Fail2banClient(down, '/no/such.sock').jails()).rejects.toThrow(new Fail2banUnavailable('fail2ban is not running (no server at /no/such.sock)'));
  const nojail = fakeTarget(() => ({ code: 255, stdout: Buffer.from("Sorry but the jail 'nosuchjail' does not exist\n"), stderr: Buffer.from("ERROR   NOK: ('nosuchjail',)\n") }));
  await expect(new Fail2banClient(nojail).status('nosuchjail')).rejects.toThrow("fail2ban-client status nosuchjail: Sorry but the jail 'nosuchjail' does not exist");
  const perm = fakeTarget(() => ({ code: 255, stderr: Buffer.from('ERROR   Permission denied to socket: /var/run/fail2ban/fail2ban.sock, (you must be root)\n') }));
  await expect(new Fail2banClient(perm).jails()).rejects.toThrow(/permission denied .* run as root or with --sudo/);
});

test('commands are argv with -s SOCKET, privileged; batch splits on the prompt', async () => {
  const seen: string[][] = [];
  const t = fakeTarget((argv, opts) => {
    seen.push(argv);
    expect(opts?.privileged).toBe(true);
    if (argv.includes('-i')) return { stdout: Buffer.from(`Fail2Ban v1.0.2 reads log file…\n\nfail2ban> ${STATUS}fail2ban> 3\nfail2ban> Sorry but the jail 'x' does not exist\nfail2ban> \n`) };
    return { stdout: Buffer.from('1\n') };
  });
  const c = new Fail2banClient(t, '/run/f.sock');
  expect(await c.unban('sshd', '203.0.113.9')).toBe(true);
  expect(seen[0]).toEqual(['fail2ban-client', '-s', '/run/f.sock', 'set', 'sshd', 'unbanip', '203.0.113.9']);
  const [st, mr, bad] = await c.batch([['status', 'sshd'], ['get', 'sshd', 'maxretry'], ['get', 'x', 'maxretry']]);
  expect(parseJailStatus('sshd', st!).totalBanned).toBe(4);
  expect(mr).toBe('3');
  expect(bad).toBeNull();
});

test('batch: a server that is not there is an error, not empty answers', async () => {
  const down = fakeTarget((argv) =>
    argv.includes('-i')
      ? { stdout: Buffer.from('Fail2Ban v1.0.2\n\nfail2ban> fail2ban> fail2ban> \n'), stderr: Buffer.from('ERROR   Failed to access socket path: /no.sock. Is fail2ban running?\n') }
      : { code: 255, stderr: Buffer.from('ERROR   Failed to access socket path: /no.sock. Is fail2ban running?\n') },
  );
  await expect(new Fail2banClient(down, '/no.sock').batch([['ping'], ['status']])).rejects.toThrow(new Fail2banUnavailable('fail2ban is not running (no server at /no.sock)'));
  expect(Fail2banClient.forConfDir(down, '/etc/f2b').argv(['ping'])).toEqual(['fail2ban-client', '-c', '/etc/f2b', 'ping']);
});

test('address validation: every argument, nothing changes on one bad one', () => {
  expect(validateIps(['203.0.113.9', '2001:db8::1', '203.0.113.9'])).toEqual(['203.0.113.9', '2001:db8::1']);
  expect(() => validateIps(['203.0.113.9', '203.0.113.256'])).toThrow('not an IP address: "203.0.113.256"');
  expect(() => validateIps(['203.0.113.0/24'])).toThrow(/not an IP address/);
  expect(() => validateIps(['-rf'])).toThrow(/not an IP address/);
  expect(() => validateIps([])).toThrow(/at least one/);
  expect(isLoopback('127.0.0.2')).toBe(true);
  expect(isLoopback('::1')).toBe(true);
  expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
  expect(isLoopback('192.0.2.1')).toBe(false);
});

test('addresses are compared and sent in canonical form; odd spellings refused with one clear line', () => {
  expect(validateIps(['2001:DB8::BAD', '2001:db8:0:0::bad', '::ffff:192.0.2.9', '0::1'])).toEqual(['2001:db8::bad', '192.0.2.9', '::1']);
  expect(() => validateIps(['192.0.2.1', '127.1'])).toThrow('not an IP address: "127.1" (an abbreviated IPv4 address, which other tools read as 127.0.0.1: write all four numbers)');
  expect(() => validateIps(['0177.0.0.1'])).toThrow(/"0177\.0\.0\.1" \(leading zeros, which other tools read as octal \(127\.0\.0\.1\)/);
  expect(() => validateIps(['fe80::1%eth0'])).toThrow(/zone index/);
  for (const ip of ['0::1', '::ffff:7f00:1', '0:0:0:0:0:0:0:1', '::FFFF:127.0.0.2']) expect(isLoopback(validateIps([ip])[0]!)).toBe(true);
  // the auth log may spell an address as sshd's dual-stack socket saw it
  const report = { logins: [{ user: 'deploy', ip: '::ffff:203.0.113.50', method: 'password', last: 'T', failedBefore: true, failuresFromIp: 4, afterBruteForce: false }], topIps: [{ ip: '2001:db8::bad', failures: 9, distinctUsers: 2 }] } as unknown as AuthReport;
  expect(unbanDanger('203.0.113.50', report)).toMatch(/^it logged in as deploy/);
  expect(unbanDanger(validateIps(['2001:DB8::BAD'])[0]!, report)).toBe('it is #1 of the top offenders (9 failures, 2 users)');
});

test('ban and unban send fail2ban the canonical spelling (its unbanip misses any other)', async () => {
  const seen: string[][] = [];
  const c = new Fail2banClient(
    fakeTarget((argv) => {
      seen.push(argv);
      return { stdout: Buffer.from(argv.includes('banned') ? "[{'sshd': ['2001:db8::bad', '127.1']}]" : '1\n') };
    }),
  );
  await c.unban('sshd', '2001:DB8:0::BAD');
  await c.ban('sshd', '::ffff:192.0.2.9');
  expect(seen.map((a) => a.slice(3))).toEqual([
    ['set', 'sshd', 'unbanip', '2001:db8::bad'],
    ['set', 'sshd', 'banip', '192.0.2.9'],
  ]);
  expect([...(await c.allBanned()).keys()]).toEqual(['2001:db8::bad', '127.1']);
});

test('unban danger: success after failures, top offender', () => {
  const report = {
    logins: [{ user: 'deploy', ip: '203.0.113.50', method: 'password', last: '2026-11-24T03:11:30.000Z', failedBefore: true, failuresFromIp: 12, afterBruteForce: true }],
    topIps: [
      { ip: '203.0.113.50', failures: 12, distinctUsers: 1 },
      { ip: '192.0.2.90', failures: 6, distinctUsers: 6 },
    ],
  } as unknown as AuthReport;
  expect(unbanDanger('203.0.113.50', report)).toBe('it logged in as deploy (password) at 2026-11-24T03:11:30.000Z after 12 failures — a brute force that succeeded; it is #1 of the top offenders (12 failures, 1 users)');
  expect(unbanDanger('192.0.2.90', report)).toBe('it is #2 of the top offenders (6 failures, 6 users)');
  expect(unbanDanger('198.51.100.7', report)).toBeNull();
});

test('batch: the questions reach fail2ban-client -i on its stdin through sh -c printf, never as shell code', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync, chmodSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fail2banBatchArgv } = await import('../../src/fail2ban/client.js');
  // a fail2ban-client that prints its arguments, then what it read on stdin
  const bin = mkdtempSync(join(tmpdir(), 'ir-f2b-argv-'));
  try {
    writeFileSync(join(bin, 'fail2ban-client'), '#!/bin/sh\nprintf "args:%s\\n" "$*"\ncat\n');
    chmodSync(join(bin, 'fail2ban-client'), 0o755);
    const argv = fail2banBatchArgv(['-s', '/run/f b.sock'], [['status', 'sshd'], ['get', "x'$(touch /tmp/pwned)`id`", 'maxretry']]);
    // a plain command: no input of its own, -i an argument of its own
    expect(argv.slice(-4)).toEqual(['fail2ban-client', '-s', '/run/f b.sock', '-i']);
    const out = execFileSync(argv[0]!, argv.slice(1), { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, input: '' }).toString();
    expect(out).toBe("args:-s /run/f b.sock -i\nstatus sshd\nget x'$(touch /tmp/pwned)`id` maxretry\n");
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});
