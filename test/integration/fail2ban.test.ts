import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, parseJson, runIr } from '../helpers/cli.js';
import { hostileRoot } from '../helpers/hostile.js';
import { serviceEnv } from '../helpers/services.js';
import type { BanReport } from '../../src/fail2ban/actions.js';
import type { Fail2banStatus } from '../../src/fail2ban/status.js';

/**
 * Against the real fail2ban-server of test/services (its own socket, config, db; the dummy action
 * never touches the firewall). The sshd jail is shared with other tests: every address here is
 * from 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 or 2001:db8::/32, random per run, and unbanned at the end.
 */
const env = serviceEnv();
const SOCK = env.IR_F2B_SOCKET!;
const LOG = env.IR_F2B_LOG!;
const CONF = env.IR_F2B_CONF_DIR!;
let work: string;
let journal: string;
const mine = new Set<string>();
const T = 300_000; // the CI machine may be busy: each fail2ban-client call starts Python
const oct = () => 10 + Math.floor(Math.random() * 240);
/** a random last group for 2001:db8::/32 addresses */
const hex = () => (0x1000 + Math.floor(Math.random() * 0xe000)).toString(16);

function client(...args: string[]): string {
  return execFileSync('fail2ban-client', ['-s', SOCK, ...args], { encoding: 'utf8' }).trim();
}
function bannedIn(ip: string): string[] {
  return JSON.parse(client('banned', ip).replace(/'/g, '"')) [0] as string[];
}
/** classic syslog, local time, day padded with a space: what fail2ban's sshd filter reads */
function stamp(d = new Date()): string {
  const mon = d.toLocaleString('en-US', { month: 'short' });
  const p = (n: number) => String(n).padStart(2, '0');
  return `${mon} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
function fail(ip: string, n: number, user = 'admin'): void {
  mine.add(ip);
  let s = '';
  for (let i = 0; i < n; i++) s += `${stamp()} web-01 sshd[${4000 + i}]: Failed password for invalid user ${user} from ${ip} port ${40000 + i} ssh2\n`;
  appendFileSync(LOG, s);
}
async function waitBanned(ip: string, jail = 'sshd', ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (bannedIn(ip).includes(jail)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${ip} not banned by fail2ban within ${ms} ms`);
}
const f2b = (...args: string[]) => runIr(['fail2ban', '--socket', SOCK, '--conf-dir', CONF, ...args]);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-f2b-'));
  journal = join(work, 'journal.jsonl');
});
afterAll(() => {
  for (const ip of mine) {
    try {
      client('unban', ip);
    } catch {
      // already gone
    }
  }
  rmSync(work, { recursive: true, force: true });
}, T);

test('status: every jail, live, with settings checked against the policy', async () => {
  const r = await f2b('--json');
  const s = parseJson<Fail2banStatus>(r);
  expect(s.mode).toBe('live');
  expect(s.server).toBe('running');
  expect(s.jails.map((j) => j.name).sort()).toEqual(['recidive-test', 'sshd']);
  const sshd = s.jails.find((j) => j.name === 'sshd')!;
  expect(sshd).toMatchObject({ running: true, enabled: true, filter: 'sshd', settings: { maxretry: 3, findtime: 600, bantime: 3600, banaction: 'dummy', backend: 'polling', logpath: [LOG] } });
  // the test jail bans for 1 h, the hardening guide wants a long ban: a failed check, exit 1
  expect(sshd.checks.find((c) => c.id === 'fail2ban.bantime')).toMatchObject({ ok: false });
  // where to fix it
  expect(sshd.checks.find((c) => c.id === 'fail2ban.bantime')!.message).toMatch(new RegExp(`— set in ${CONF}/jail\\.local line \\d+$`));
  expect(s.checks).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'fail2ban.sshd-enabled', ok: true })]));
  expect(r.code).toBe(1);
}, T);

test('a brute force written to the log is banned; ir fail2ban shows the ban with its expiry; ir unban lifts it and fail2ban agrees', async () => {
  const ip = `203.0.113.${oct()}`;
  fail(ip, 3);
  await waitBanned(ip);
  const s = parseJson<Fail2banStatus>(await f2b('--jail', 'sshd', '--json'));
  const b = s.jails[0]!.banned.find((x) => x.ip === ip)!;
  expect(b.bantimeSeconds).toBe(3600);
  expect(Date.parse(b.expires!) - Date.parse(b.bannedAt!)).toBe(3600_000);
  const human = await f2b('--jail', 'sshd');
  expect(human.stdout).toContain(ip);

  // a banned brute forcer is a top offender of the auth log: refused without --force, nothing changed
  const refused = await runIr(['unban', ip, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--yes']);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/REFUSED for sshd — it is #\d+ of the top offenders \(3 failures, 1 users\)/);
  expect(bannedIn(ip)).toEqual(['sshd']);

  const dry = parseJson<BanReport>(await runIr(['unban', ip, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--dry-run', '--force', '--json']));
  expect(dry.results).toEqual([expect.objectContaining({ ip, jail: 'sshd', outcome: 'planned' })]);
  expect(bannedIn(ip)).toEqual(['sshd']);

  // no terminal and no --yes: refused, nothing changed
  const noTty = await runIr(['unban', ip, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--force']);
  expect(noTty.code).toBe(2);
  expect(noTty.stderr).toMatch(/without a terminal/);
  expect(bannedIn(ip)).toEqual(['sshd']);

  const run = await runIr(['unban', ip, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--yes', '--force', '--reason', 'integration test', '--json']);
  const r = parseJson<BanReport>(run);
  expect(run.code).toBe(0);
  expect(r.results).toEqual([expect.objectContaining({ ip, jail: 'sshd', outcome: 'unbanned' })]);
  expect(r.authLog).toMatchObject({ read: true, sources: [LOG] });
  expect(bannedIn(ip)).toEqual([]);
  const entry = JSON.parse(readFileSync(journal, 'utf8').trim().split('\n').pop()!) as Record<string, unknown>;
  expect(entry).toMatchObject({ action: 'unban', reason: 'integration test', force: true, ips: [{ ip, jails: [{ jail: 'sshd', outcome: 'unbanned' }] }] });
  expect(typeof entry.time).toBe('string');

  // again: fail2ban's --report-absent meaning, per jail
  const again = parseJson<BanReport>(await runIr(['unban', ip, '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--yes', '--json']));
  expect(again.results).toEqual([expect.objectContaining({ ip, jail: 'sshd', outcome: 'not-banned' })]);
}, T);

test('an address that logged in after failing is not unbanned without --force', async () => {
  const ip = `198.51.100.${oct()}`;
  fail(ip, 3, 'deploy');
  appendFileSync(LOG, `${stamp()} web-01 sshd[4999]: Accepted password for deploy from ${ip} port 41000 ssh2\n`);
  await waitBanned(ip);
  const refused = await runIr(['unban', ip, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--yes']);
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/REFUSED/);
  expect(refused.stdout).toMatch(/logged in as deploy \(password\) at \S+ after 3 failures/);
  expect(bannedIn(ip)).toEqual(['sshd']);
  const forced = parseJson<BanReport>(await runIr(['unban', ip, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--yes', '--force', '--json']));
  expect(forced.results[0]).toMatchObject({ outcome: 'unbanned' });
  expect(forced.results[0]!.reason).toMatch(/^forced: /);
  expect(bannedIn(ip)).toEqual([]);
}, T);

test('ir ban: validation, self and loopback guard, ban in a jail, fail2ban agrees', async () => {
  const v4 = `192.0.2.${oct()}`;
  const v6 = `2001:db8::${oct().toString(16)}`;
  mine.add(v4).add(v6);
  const bad = await runIr(['ban', v4, '999.1.1.1', '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--yes']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/not an IP address: "999\.1\.1\.1"/);
  expect(bannedIn(v4)).toEqual([]);

  const guard = parseJson<BanReport>(await runIr(['ban', '127.0.0.1', v4, '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--yes', '--dry-run', '--json'], { env: { SSH_CLIENT: `${v4} 50000 22` } }));
  expect(guard.results.map((x) => x.outcome)).toEqual(['refused', 'refused']);
  expect(guard.results[1]!.reason).toMatch(/SSH_CLIENT/);

  const noTty = await runIr(['ban', v4, '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal]);
  expect(noTty.code).toBe(2);
  expect(noTty.stderr).toMatch(/refusing to ban without a terminal/);
  expect(bannedIn(v4)).toEqual([]);

  const r = await runIr(['ban', v4, v6, '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--yes', '--reason', 'missed by fail2ban', '--json']);
  expect(r.code).toBe(0);
  expect(parseJson<BanReport>(r).results.map((x) => x.outcome)).toEqual(['banned', 'banned']);
  expect(bannedIn(v4)).toEqual(['sshd']);
  expect(bannedIn(v6)).toEqual(['sshd']);
  expect(readFileSync(env.IR_F2B_BANNED!, 'utf8')).toContain(`+${v4}`);

  const again = parseJson<BanReport>(await runIr(['ban', v4, '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--yes', '--json']));
  expect(again.results[0]!.outcome).toBe('already-banned');
  const un = parseJson<BanReport>(await runIr(['unban', v4, v6, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--yes', '--json']));
  expect(un.results.map((x) => x.outcome)).toEqual(['unbanned', 'unbanned']);
  expect(bannedIn(v4)).toEqual([]);
  const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; reason: string | null });
  expect(lines.some((l) => l.action === 'ban' && l.reason === 'missed by fail2ban')).toBe(true);

  const noJail = await runIr(['ban', v4, '--jail', 'nosuchjail', '--socket', SOCK, '--journal-file', journal, '--yes']);
  expect(noJail.code).toBe(2);
  expect(noJail.stderr).toMatch(/no jail nosuchjail/);
}, T);

test('fail2ban not running: one clear line, configuration still read', async () => {
  const down = join(work, 'no.sock');
  const st = await runIr(['fail2ban', '--socket', down, '--conf-dir', CONF, '--json']);
  const s = parseJson<Fail2banStatus>(st);
  expect(s.server).toBe('not-running');
  expect(s.mode).toBe('offline');
  expect(s.jails.map((j) => j.name).sort()).toEqual(['recidive-test', 'sshd']);
  expect(st.code).toBe(1);
  const human = await runIr(['fail2ban', '--socket', down, '--conf-dir', CONF]);
  expect(human.stdout.split('\n')[0]).toMatch(/not running — fail2ban is not running \(no server at /);
  const un = await runIr(['unban', '192.0.2.1', '--socket', down, '--yes', '--journal-file', journal]);
  expect(un.code).toBe(2);
  expect(un.stderr.trim().split('\n')).toHaveLength(1);
  expect(un.stderr).toMatch(/fail2ban is not running/);
}, T);

test('offline: a copy of the configuration, database and log under --root', async () => {
  const root = join(work, 'root');
  execFileSync('mkdir', ['-p', join(root, 'etc'), join(root, 'var/lib/fail2ban'), join(root, 'var/log')]);
  execFileSync('cp', ['-r', CONF, join(root, 'etc/fail2ban')]);
  // the copied fail2ban.local names STATE paths; offline the defaults under the root are used
  writeFileSync(join(root, 'etc/fail2ban/fail2ban.local'), '[Definition]\n');
  const ip = `203.0.113.${oct()}`;
  fail(ip, 3);
  await waitBanned(ip);
  execFileSync('cp', [env.IR_F2B_DB!, join(root, 'var/lib/fail2ban/fail2ban.sqlite3')]);
  execFileSync('cp', [env.IR_F2B_SERVER_LOG!, join(root, 'var/log/fail2ban.log')]);
  const s = parseJson<Fail2banStatus>(await runIr(['fail2ban', '--root', root, '--json']));
  expect(s.mode).toBe('offline');
  expect(s.server).toBe('not-asked');
  expect(s.database).toBe('/var/lib/fail2ban/fail2ban.sqlite3');
  const sshd = s.jails.find((j) => j.name === 'sshd')!;
  expect(sshd.banned.map((b) => b.ip)).toContain(ip);
  expect(sshd.settings).toMatchObject({ maxretry: 3, bantime: 3600 });
  expect(s.history!.recent.some((e) => e.ip === ip && e.action === 'Ban')).toBe(true);
}, T);

test('ban and unban on a fleet: asked once, every live host acted on, a dead host is a row, exit 2', async () => {
  const v4 = `198.51.100.${oct()}`;
  mine.add(v4);
  const fleet = [`deploy@127.0.0.1:${env.IR_SSH_PORT}`, 'deploy@127.0.0.1:1'].flatMap((h) => ['--host', h]);
  const ssh = ['-i', env.IR_SSH_KEY!, '--known-hosts', env.IR_KNOWN_HOSTS!, '--sudo'];
  // no terminal and no --yes: refused before any host is touched
  const noTty = await runIr(['ban', v4, '--jail', 'sshd', ...fleet, ...ssh, '--socket', SOCK, '--journal-file', journal]);
  expect(noTty.code).toBe(2);
  expect(noTty.stderr).toMatch(/refusing to ban without a terminal/);
  expect(bannedIn(v4)).toEqual([]);

  const ban = await runIr(['ban', v4, '--jail', 'sshd', ...fleet, ...ssh, '--socket', SOCK, '--journal-file', journal, '--yes', '--reason', 'fleet test', '--json'], { timeoutMs: T });
  expect(ban.code).toBe(2);
  const rows = parseJson<{ hosts: { host: string; status: string; error?: string; result?: BanReport }[] }>(ban).hosts;
  expect(rows[0]!.result!.results).toEqual([expect.objectContaining({ ip: v4, jail: 'sshd', outcome: 'banned' })]);
  expect(rows[1]).toMatchObject({ status: 'error', error: expect.stringMatching(/connection refused/) });
  expect(bannedIn(v4)).toEqual(['sshd']);

  const un = await runIr(['unban', v4, ...fleet, ...ssh, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--yes', '--json'], { timeoutMs: T });
  expect(un.code).toBe(2);
  expect(parseJson<{ hosts: { result?: BanReport }[] }>(un).hosts[0]!.result!.results).toEqual([expect.objectContaining({ ip: v4, jail: 'sshd', outcome: 'unbanned' })]);
  expect(bannedIn(v4)).toEqual([]);
  const entries = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; host: string; reason: string | null; ips: { ip: string }[] });
  const mineEntries = entries.filter((e) => e.ips.some((x) => x.ip === v4));
  // one entry per live host and action, named as the host names itself
  expect(mineEntries.map((e) => [e.action, e.host])).toEqual([
    ['ban', rows[0]!.result!.host],
    ['unban', rows[0]!.result!.host],
  ]);
}, T);

test('addresses are one spelling: fail2ban stores the canonical one and misses any other on unbanip; ir sends and prints the canonical one', async () => {
  const h = hex();
  const ip = `2001:db8::${h}`;
  const upper = `2001:DB8:0::${h.toUpperCase()}`;
  mine.add(ip);
  // the real server: banip canonicalises, unbanip compares the stored text
  expect(client('set', 'sshd', 'banip', upper)).toBe('1');
  expect(client('get', 'sshd', 'banip').split(/\s+/)).toContain(ip);
  expect(client('set', 'sshd', 'unbanip', upper)).toBe('0');
  expect(bannedIn(ip)).toEqual(['sshd']);

  const un = await runIr(['unban', upper, '--socket', SOCK, '--journal-file', journal, '--auth-log', LOG, '--yes', '--json']);
  expect(un.code).toBe(0);
  expect(parseJson<BanReport>(un).results).toEqual([expect.objectContaining({ ip, jail: 'sshd', outcome: 'unbanned' })]);
  expect(bannedIn(ip)).toEqual([]);
  const entry = JSON.parse(readFileSync(journal, 'utf8').trim().split('\n').pop()!) as { ips: { ip: string }[] };
  expect(entry.ips.map((x) => x.ip)).toEqual([ip]);

  const ban = await runIr(['ban', upper, '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--yes']);
  expect(ban.code).toBe(0);
  expect(ban.stdout).toContain(`${ip} `);
  expect(ban.stdout).not.toContain(upper);
  expect(bannedIn(ip)).toEqual(['sshd']);
  const st = parseJson<Fail2banStatus>(await f2b('--jail', 'sshd', '--json'));
  expect(st.jails[0]!.banned.filter((b) => b.ip.toLowerCase() === ip)).toEqual([expect.objectContaining({ ip })]);
  client('set', 'sshd', 'unbanip', ip);
}, T);

test('ban refuses loopback and the responder\'s own address however written; odd IPv4 spellings never reach fail2ban', async () => {
  const loop = parseJson<BanReport>(await runIr(['ban', '0::1', '::ffff:7f00:1', '0:0:0:0:0:0:0:1', '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--dry-run', '--json']));
  expect(loop.results.map((r) => [r.ip, r.outcome, r.reason])).toEqual([
    ['::1', 'refused', 'a loopback address (use --force)'],
    ['127.0.0.1', 'refused', 'a loopback address (use --force)'],
  ]);

  const own = await runIr(['ban', '2001:DB8::7', '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--dry-run', '--json'], { env: { SSH_CLIENT: '2001:db8::7 50000 22' } });
  expect(own.code).toBe(1);
  expect(parseJson<BanReport>(own).results).toEqual([expect.objectContaining({ ip: '2001:db8::7', outcome: 'refused', reason: expect.stringMatching(/SSH_CLIENT/) })]);

  // `sudo ir …` clears SSH_CLIENT from ir's environment; the login session above it still has it
  const v4 = `198.51.100.${oct()}`;
  const viaSudo = spawnSync('sh', ['-c', `env -u SSH_CLIENT "$0" "$@"; exit $?`, process.execPath, BIN, 'ban', v4, '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--dry-run', '--json'], {
    env: { ...process.env, SSH_CLIENT: `${v4} 50000 22`, CI: 'true' },
    encoding: 'utf8',
  });
  expect(viaSudo.status).toBe(1);
  expect((JSON.parse(viaSudo.stdout) as BanReport).results[0]).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/SSH_CLIENT of the login session/) });

  const odd = await runIr(['ban', '127.1', '0177.0.0.1', '--jail', 'sshd', '--socket', SOCK, '--journal-file', journal, '--yes']);
  expect(odd.code).toBe(2);
  expect(odd.stderr.trim().split('\n')).toHaveLength(1);
  expect(odd.stderr).toMatch(/"127\.1" \(an abbreviated IPv4 address, which other tools read as 127\.0\.0\.1/);
  expect(odd.stderr).toMatch(/"0177\.0\.0\.1" \(leading zeros/);
  expect(client('banned', '127.1')).toBe('[[]]');
}, T);

test('a ban fail2ban holds as text that is no address is shown as such', async () => {
  // fail2ban-client itself takes 127.1 and stores the text; its firewall action would read 127.0.0.1
  expect(client('set', 'sshd', 'banip', '127.1')).toBe('1');
  try {
    const st = parseJson<Fail2banStatus>(await f2b('--jail', 'sshd', '--json'));
    expect(st.jails[0]!.banned.find((b) => b.ip === '127.1')).toMatchObject({ problem: expect.stringMatching(/^not an address \(an abbreviated IPv4 address, which other tools read as 127\.0\.0\.1/) });
  } finally {
    client('set', 'sshd', 'unbanip', '127.1');
  }
}, T);

test('unban judges 2001:DB8::… as 2001:db8::… against the auth log', async () => {
  // its own auth log (the shared one ranks every run's brute forcers), and a ban made directly
  const ip = `2001:db8::${hex()}`;
  mine.add(ip);
  const log = join(work, 'v6-auth.log');
  writeFileSync(log, [0, 1, 2].map((i) => `${stamp()} web-01 sshd[${4000 + i}]: Failed password for invalid user admin from ${ip} port ${40000 + i} ssh2\n`).join(''));
  expect(client('set', 'sshd', 'banip', ip)).toBe('1');
  const r = await runIr(['unban', ip.toUpperCase(), '--socket', SOCK, '--journal-file', journal, '--auth-log', log, '--yes']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(new RegExp(`${ip.replace(/\./g, '\\.')} +REFUSED for sshd — it is #1 of the top offenders \\(3 failures, 1 users\\)`));
  expect(bannedIn(ip)).toEqual(['sshd']);
}, T);

test('a configuration fail2ban cannot read: exit 2 with file and line, live and offline, and no jail called OK from it', async () => {
  // live: the server runs on what it read before; the files on disk would stop it from starting again
  const conf = join(work, 'broken-conf');
  cpSync(CONF, conf, { recursive: true });
  appendFileSync(join(conf, 'jail.local'), 'maxretry 3\n');
  const lines = readFileSync(join(conf, 'jail.local'), 'utf8').trimEnd().split('\n').length;
  const live = await runIr(['fail2ban', '--socket', SOCK, '--conf-dir', conf, '--json']);
  expect(live.code).toBe(2);
  const s = parseJson<Fail2banStatus>(live);
  expect(s.mode).toBe('live');
  expect(s.errors).toEqual([{ path: join(conf, 'jail.local'), line: lines, message: expect.stringMatching(/^cannot read "maxretry 3".*fail2ban refuses to start with it$/) }]);
  expect(s.jails.find((j) => j.name === 'sshd')!.settings.maxretry).toBe(3);

  // offline: the hostile root's jail.local (test/fixtures/hostile/cases/70-…)
  const root = hostileRoot();
  const human = await runIr(['fail2ban', '--root', root]);
  expect(human.code).toBe(2);
  expect(human.stdout.split('\n').slice(0, 3).join('\n')).toMatch(/ERROR: .*\n {2}\/etc\/fail2ban\/jail\.local line 4: cannot read "this line is not ini \\x1b\[2J"/);
  expect(human.stdout).not.toMatch(/^\s*ok\s/m);
  expect(human.stdout).not.toContain('\x1b');
  expect(human.stdout).toMatch(/unusable as written: \/etc\/fail2ban\/jail\.local line 2: maxretry = "3 # three strikes"/);
  const off = parseJson<Fail2banStatus>(await runIr(['fail2ban', '--root', root, '--json']));
  expect(off.errors).toEqual([expect.objectContaining({ path: '/etc/fail2ban/jail.local', line: 4 })]);
  expect(off.checks).toEqual([]);
  expect(off.jails.flatMap((j) => j.checks)).toEqual([]);
}, T);

test('settings fail2ban ignores are failed checks with their file and line', async () => {
  const root = join(work, 'traps');
  mkdirSync(join(root, 'etc/fail2ban'), { recursive: true });
  writeFileSync(join(root, 'etc/fail2ban/jail.conf'), '[DEFAULT]\nbantime = 1d\nfindtime = 10m\nmaxretry = 5\nbanaction = nftables-multiport\n[sshd]\nenabled = true\n[nginx-http-auth]\nport = http\n');
  writeFileSync(join(root, 'etc/fail2ban/jail.local'), '[sshd]\nmaxretry = 3 # three strikes\n[nginx-http-auth]\nenabled = tru\n');
  const r = await runIr(['fail2ban', '--root', root]);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('FAIL /etc/fail2ban/jail.local line 2: maxretry = "3 # three strikes": not a whole number, fail2ban ignores it');
  expect(r.stdout).toContain('FAIL /etc/fail2ban/jail.local line 4: enabled = "tru": not true, yes, on or 1, so fail2ban takes it as false');
}, T);

test('auth-review says why its BANNED column shows "?"', async () => {
  const offline = await runIr(['auth-review', '--root', 'examples/compromised-host']);
  expect(offline.stdout).toContain('BANNED ?: fail2ban was not asked (an offline image, or --no-fail2ban)');
  const down = await runIr(['auth-review', 'examples/compromised-host/var/log/auth.log', '--socket', join(work, 'no.sock')]);
  expect(down.stdout).toContain(`BANNED ?: fail2ban could not be asked (fail2ban is not running (no server at ${join(work, 'no.sock')}))`);
}, T);
