import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSyslogLine } from '../../src/logs/auth-parse.js';
import type { AuthEvent } from '../../src/logs/auth-event.js';
import { parseJournalLine } from '../../src/logs/journal.js';
import { LineSplitter } from '../../src/logs/line-splitter.js';
import { parseTimeArg, parseUtcOffset, SyslogClock } from '../../src/logs/syslog-time.js';
import { ROOT } from '../helpers/cli.js';

const FIX = join(ROOT, 'test/fixtures/authlog');
const REF = Date.UTC(2026, 10, 28, 12, 0, 0); // 2026-11-28

function events(file: string, ref = REF, offset = 0): AuthEvent[] {
  const clock = new SyslogClock(ref, offset);
  return readFileSync(join(FIX, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => parseSyslogLine(l, clock).event)
    .filter((e): e is AuthEvent => e !== null);
}

function one(line: string, ref = REF): AuthEvent {
  const e = parseSyslogLine(line, new SyslogClock(ref)).event;
  if (!e) throw new Error(`no event: ${line}`);
  return e;
}

describe('classic syslog header and year inference', () => {
  test('year from the reference time, across New Year', () => {
    const jan = Date.UTC(2026, 0, 2);
    expect(new Date(one('Dec 31 23:59:59 h sshd[1]: Connection closed by 192.0.2.1 port 1 [preauth]', jan).ts).toISOString()).toBe('2025-12-31T23:59:59.000Z');
    expect(new Date(one('Jan  1 00:00:01 h sshd[1]: Connection closed by 192.0.2.1 port 1 [preauth]', jan).ts).toISOString()).toBe('2026-01-01T00:00:01.000Z');
    // a line dated a day after the reference (clock skew) stays in the reference year
    expect(new Date(one('Jan  3 10:00:00 h sshd[1]: Connection closed by 192.0.2.1 port 1 [preauth]', jan).ts).getUTCFullYear()).toBe(2026);
  });

  test('zone offset for classic times', () => {
    const e = parseSyslogLine('Nov 24 10:00:00 h sshd[1]: Connection closed by 192.0.2.1 port 1 [preauth]', new SyslogClock(REF, 60)).event!;
    expect(new Date(e.ts).toISOString()).toBe('2026-11-24T09:00:00.000Z');
  });

  test('RFC 3339 with offset, Z, +0100 and fractions', () => {
    const ev = events('rfc3339-sshd-session.log');
    expect(new Date(ev[0]!.ts).toISOString()).toBe('2026-01-05T12:54:40.101Z');
    const z = ev.find((e) => e.user === 'alice' && e.kind === 'ssh.accepted')!;
    expect(new Date(z.ts).toISOString()).toBe('2026-01-05T13:55:10.000Z');
    const bob = ev.find((e) => e.user === 'bob')!;
    expect(new Date(bob.ts).toISOString()).toBe('2026-01-05T12:55:11.000Z');
    expect(new Date(ev.find((e) => e.program === 'sshd-auth')!.ts).toISOString()).toBe('2026-01-05T12:55:00.500Z');
  });

  test('busybox facility.level, <PRI>, year after the time, fractional seconds, no padding', () => {
    const ev = events('busybox-syslogd.log');
    expect(ev.map((e) => e.kind)).toEqual(['ssh.failed', 'ssh.invalid-user', 'ssh.accepted', 'ssh.failed', 'ssh.preauth-disconnect', 'other']);
    expect(ev[0]).toMatchObject({ host: 'edge', program: 'sshd', pid: 1201, user: 'root', ip: '192.0.2.80' });
    expect(ev[2]).toMatchObject({ user: 'ops', keyType: 'ECDSA' });
    expect(new Date(ev[3]!.ts).getUTCFullYear()).toBe(2025);
    expect(new Date(ev[4]!.ts).getUTCMilliseconds()).toBe(123);
  });

  test('a continuation line has no header', () => {
    expect(parseSyslogLine(' continuation line without a header', new SyslogClock(REF)).header).toBe(false);
    expect(parseSyslogLine('', new SyslogClock(REF)).header).toBe(false);
  });
});

describe('OpenSSH 9.2 on Debian 12 (lines of the test sshd, rsyslog header)', () => {
  const ev = events('debian12-auth.log');
  const kinds = (k: string) => ev.filter((e) => e.kind === k);

  test('accepted publickey with fingerprint', () => {
    expect(kinds('ssh.accepted')[0]).toMatchObject({ user: 'deploy', ip: '198.51.100.7', port: 50508, method: 'publickey', keyType: 'ED25519', fingerprint: 'SHA256:01XEdTfFbOeC4SXXc0l7vwUsTxnXf3MhesvYS99dnrs' });
    expect(kinds('ssh.accepted')[1]).toMatchObject({ user: 'deploy', ip: '2001:db8:1::20', method: 'password' });
  });

  test('failed password, publickey, none, keyboard-interactive, invalid users', () => {
    const f = kinds('ssh.failed');
    expect(f.map((e) => e.method)).toEqual(['password', 'password', 'password', 'publickey', 'none', 'keyboard-interactive/pam']);
    expect(f[0]).toMatchObject({ user: 'oracle', invalidUser: true, ip: '203.0.113.9', port: 41234 });
    expect(f[2]).toMatchObject({ user: 'root', ip: '203.0.113.9', invalidUser: undefined });
    expect(f[3]).toMatchObject({ keyType: 'RSA', fingerprint: 'SHA256:Vq1c8Xx3aJ6v7bQm1tYdVQ4i0mL9s7Yw9jY2n0KZ7Xk' });
    expect(kinds('ssh.invalid-user')[0]).toMatchObject({ user: 'oracle', ip: '203.0.113.9', port: 41234 });
  });

  test('preauth disconnects, max attempts, not allowed', () => {
    const d = kinds('ssh.preauth-disconnect');
    expect(d.map((e) => e.ip)).toEqual(['203.0.113.9', '203.0.113.9', '203.0.113.9', '203.0.113.9', '203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.17']);
    expect(d[1]).toMatchObject({ user: 'deploy' });
    expect(kinds('ssh.max-attempts').map((e) => [e.user, e.ip])).toEqual([
      ['root', '203.0.113.9'],
      ['root', '203.0.113.9'],
    ]);
    expect(kinds('ssh.not-allowed')[0]).toMatchObject({ user: 'deploy-nosudo', ip: '203.0.113.16', detail: 'account is locked' });
    expect(kinds('ssh.logout').map((e) => e.user ?? null)).toEqual([null, 'deploy']);
  });

  test('sudo 1.9: commands, failures, no TTY field, command with " ; "', () => {
    const s = kinds('sudo.command');
    expect(s[0]).toMatchObject({ user: 'deploy', tty: 'pts/0', cwd: '/home/deploy', targetUser: 'root', command: '/usr/bin/docker compose ps' });
    expect(s[3]).toMatchObject({ user: 'deploy', cwd: '/srv/app', command: '/usr/bin/systemctl restart gunicorn ; echo done', tty: undefined });
    const f = kinds('sudo.failed');
    expect(f.map((e) => e.detail ?? e.kind)).toEqual(['user NOT in sudoers', 'sudo.failed', '3 incorrect password attempts']);
    expect(f[1]).toMatchObject({ user: 'deploy-nosudo' });
  });

  test('su, pam sessions, logind, account changes', () => {
    expect(kinds('su.session')[0]).toMatchObject({ user: 'deploy', targetUser: 'root', tty: 'pts/1' });
    expect(kinds('session.opened').map((e) => [e.detail, e.targetUser, e.user])).toEqual([
      ['sshd', 'deploy', 'deploy'],
      ['sudo', 'root', 'deploy'],
      ['cron', 'root', 'root'],
      ['su-l', 'root', 'deploy'],
    ]);
    expect(kinds('logind.session')[0]).toMatchObject({ user: 'deploy', detail: 'session 12' });
    expect(kinds('account.change').map((e) => [e.program, e.user])).toEqual([
      ['useradd', 'backup2'],
      ['useradd', 'backup2'],
      ['usermod', 'backup2'],
      ['usermod', 'backup2'],
      ['passwd', 'backup2'],
    ]);
  });

  test('lines of other programs are not events', () => {
    expect(ev.some((e) => e.program === 'kernel')).toBe(false);
  });
});

describe('RHEL 7 secure and OpenSSH 5', () => {
  test('OpenSSH 7.4 secure', () => {
    const ev = events('rhel7-secure');
    expect(ev.filter((e) => e.kind === 'ssh.failed').length).toBe(3);
    expect(ev.find((e) => e.kind === 'ssh.invalid-user')).toMatchObject({ user: 'ftpuser', ip: '192.0.2.50', port: 39020 });
    expect(ev.find((e) => e.kind === 'ssh.accepted')).toMatchObject({ user: 'centos', keyType: 'RSA' });
    expect(ev.find((e) => e.kind === 'session.opened' && e.detail === 'su-l')).toMatchObject({ user: 'centos', targetUser: 'root' });
    expect(ev.find((e) => e.kind === 'sudo.command')).toMatchObject({ user: 'centos', command: '/bin/yum update' });
    expect(ev.filter((e) => e.kind === 'ssh.preauth-disconnect').map((e) => e.ip)).toEqual(['192.0.2.50', '192.0.2.50', '192.0.2.51', '192.0.2.52']);
  });

  test('OpenSSH 5: no port, Illegal user, MD5 fingerprints, shadow su', () => {
    const ev = events('openssh-5-old.log');
    expect(ev.find((e) => e.kind === 'ssh.invalid-user')).toMatchObject({ user: 'admin', ip: '192.0.2.60', port: undefined });
    expect(ev.filter((e) => e.kind === 'ssh.accepted').map((e) => e.fingerprint ?? null)).toEqual([null, '4f:1a:9c:2e:7b:33:80:aa:51:de:0f:77:12:c4:9e:01']);
    expect(ev.find((e) => e.user === 'test' && e.kind === 'ssh.failed')).toMatchObject({ invalidUser: true, ip: '192.0.2.62' });
    expect(ev.filter((e) => e.kind === 'ssh.invalid-user').map((e) => e.user)).toEqual(['admin', 'test']);
    expect(ev.find((e) => e.kind === 'ssh.max-attempts')).toMatchObject({ user: 'root', ip: undefined });
    expect(ev.find((e) => e.kind === 'ssh.preauth-disconnect' && e.ip === '192.0.2.63')).toBeDefined();
    expect(ev.filter((e) => e.program === 'su').map((e) => e.kind)).toEqual(['su.session', 'su.failed', 'su.session', 'su.failed']);
    expect(ev.find((e) => e.kind === 'ssh.not-allowed')).toMatchObject({ user: 'root', ip: '192.0.2.64' });
  });
});

describe('OpenSSH 9.8+ sshd-session and 10.0 sshd-auth', () => {
  test('same messages under the new program names, IPv6, certificates', () => {
    const ev = events('rfc3339-sshd-session.log');
    expect(ev.find((e) => e.kind === 'ssh.invalid-user')).toMatchObject({ program: 'sshd-session', user: 'support', ip: '2001:db8:bad::1', port: 40022 });
    expect(ev.find((e) => e.kind === 'ssh.failed' && e.program === 'sshd-auth')).toMatchObject({ user: 'root', ip: '192.0.2.70' });
    expect(ev.find((e) => e.user === 'alice' && e.kind === 'ssh.accepted')).toMatchObject({ keyType: 'ED25519-CERT', fingerprint: 'SHA256:h9mB3q8Vd8zJ2eYt4xw0vG1kLrQp5sNf7aHc6uEo2Tw', ip: '2001:db8:1::5' });
    expect(ev.find((e) => e.user === 'bob')).toMatchObject({ method: 'keyboard-interactive/pam' });
    expect(ev.find((e) => e.detail?.startsWith('Timeout'))).toMatchObject({ kind: 'ssh.preauth-disconnect', ip: '192.0.2.71' });
  });
});

describe('journald JSON', () => {
  const recs = readFileSync(join(FIX, 'journal.json'), 'utf8').split('\n').filter(Boolean).map(parseJournalLine);
  test('fields, time from __REALTIME_TIMESTAMP, binary MESSAGE as bytes', () => {
    const ev = recs.map((r) => r.event).filter((e): e is AuthEvent => e !== null);
    expect(ev[0]).toMatchObject({ kind: 'ssh.invalid-user', program: 'sshd-session', host: 'web-03', pid: 7001, user: 'support', ip: '203.0.113.77' });
    expect(new Date(ev[0]!.ts).toISOString()).toBe('2026-01-05T12:54:43.262Z');
    expect(ev[3]).toMatchObject({ kind: 'sudo.command', user: 'alice', command: '/usr/bin/id' });
    const bin = ev.find((e) => e.ip === '203.0.113.78')!;
    expect(bin.kind).toBe('ssh.failed');
    expect(bin.user).toContain('\ufffd');
    expect(ev.find((e) => e.ip === '203.0.113.79')).toMatchObject({ program: 'sshd', kind: 'ssh.preauth-disconnect' });
    // systemd's own lines are not auth events
    expect(recs[5]!.event).toBeNull();
  });
  test('a line that is not JSON is unparsed, not fatal', () => {
    expect(parseJournalLine('{"MESSAGE": ').header).toBe(false);
    expect(parseJournalLine('[1,2]').header).toBe(false);
  });
});

describe('hostile lines', () => {
  test('escapes and invalid UTF-8 are kept as data (rendering strips them)', () => {
    const ev = events('hostile.log');
    expect(ev[0]).toMatchObject({ kind: 'ssh.invalid-user', ip: '203.0.113.66' });
    expect(ev[0]!.user).toContain('\x1b[31m');
    expect(ev[1]!.user).toContain('\ufffd');
    expect(ev[2]).toMatchObject({ kind: 'ssh.failed', ip: '203.0.113.66', port: 2 });
  });

  test('a 1 MB line neither crashes nor stalls', () => {
    const long = `Nov 24 01:00:00 h sshd[1]: Failed password for invalid user ${'a'.repeat(1 << 20)} from 203.0.113.1 port 1 ssh2`;
    const t0 = Date.now();
    const r = parseSyslogLine(long, new SyslogClock(REF));
    expect(Date.now() - t0).toBeLessThan(500);
    expect(r.header).toBe(true);
    expect(r.event!.raw.length).toBeLessThanOrEqual(8192);
    const spaces = `Nov 24 01:00:00 h sshd[1]: Invalid user ${' from x'.repeat(150_000)}`;
    const t1 = Date.now();
    parseSyslogLine(spaces, new SyslogClock(REF));
    expect(Date.now() - t1).toBeLessThan(500);
  });
});

describe('LineSplitter', () => {
  test('lines across chunk boundaries, CRLF, a UTF-8 character cut in two', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('first\r\nsec€ond\nthird', 'utf8');
    for (let i = 0; i < bytes.length; i += 3) s.push(bytes.subarray(i, i + 3));
    s.end();
    expect(lines).toEqual(['first', 'sec€ond', 'third']);
  });

  test('a line longer than 1 MiB is cut and the rest skipped', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    for (let i = 0; i < 12; i++) s.push(chunk);
    s.push(Buffer.from('tail of the long line\nnext\n'));
    s.end();
    expect(lines.length).toBe(2);
    expect(lines[0]!.length).toBe(8192);
    expect(lines[1]).toBe('next');
  });
});

describe('time arguments', () => {
  test('--since forms and --tz', () => {
    const now = Date.UTC(2026, 1, 2);
    expect(parseTimeArg('24h', now)).toBe(now - 86_400_000);
    expect(parseTimeArg('2026-02-01', now)).toBe(Date.UTC(2026, 1, 1));
    expect(parseTimeArg('2026-02-01T10:00:00', now)).toBe(Date.UTC(2026, 1, 1, 10));
    expect(parseTimeArg('2026-02-01T10:00:00+01:00', now)).toBe(Date.UTC(2026, 1, 1, 9));
    expect(parseTimeArg('@1767617683', now)).toBe(1767617683000);
    expect(parseTimeArg('yesterday', now)).toBeNull();
    expect(parseUtcOffset('+01:00')).toBe(60);
    expect(parseUtcOffset('-0530')).toBe(-330);
    expect(parseUtcOffset('UTC')).toBe(0);
    expect(parseUtcOffset('Europe/Paris')).toBeNull();
  });
});
