import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFail2banConfig } from '../../src/fail2ban/config.js';
import { fail2banBool, fail2banInt, fail2banTime, parseIni, readFail2banIni } from '../../src/fail2ban/ini.js';
import { ImageHost } from '../../src/host/image.js';
import { LocalHost } from '../../src/host/local.js';

/**
 * The one fail2ban INI reader, checked against fail2ban itself: `fail2ban-client -c DIR -d` (the
 * configuration stream the client would send its server, no server needed) and MyTime.str2seconds,
 * run with the Python of the installed fail2ban-client.
 */

const CLIENT = execFileSync('sh', ['-c', 'command -v fail2ban-client'], { encoding: 'utf8' }).trim();
const PYTHON = readFileSync(CLIENT, 'utf8').split('\n')[0]!.replace(/^#!\s*/, '').split(/\s+/)[0]!;
/** Debian's stock configuration (filter.d and action.d are needed for enabled jails) */
const STOCK = existsSync('/etc/fail2ban/jail.conf') ? '/etc/fail2ban' : JSON.parse(readFileSync('/tmp/ir-svc/env.json', 'utf8')).IR_F2B_CONF_DIR;

let work: string;
beforeAll(() => (work = mkdtempSync(join(tmpdir(), 'ir-f2bini-'))));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Dump {
  ok: boolean;
  error: string;
  jails: Map<string, { backend: string; maxretry?: number | null; findtime?: string; bantime?: string; logpath: string[]; actions: string[] }>;
}

/** What fail2ban makes of DIR: the stream of `fail2ban-client -d`, each line a Python literal. */
function fail2banDump(dir: string): Dump {
  const r = spawnSync(CLIENT, ['-c', dir, '-d'], { encoding: 'utf8' });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('['));
  const json = execFileSync(PYTHON, ['-c', 'import sys,ast,json; print(json.dumps([ast.literal_eval(l) for l in sys.stdin.read().splitlines()]))'], { input: lines.join('\n'), encoding: 'utf8' });
  const jails: Dump['jails'] = new Map();
  for (const c of JSON.parse(json) as unknown[][]) {
    const [verb, jail, key, ...rest] = c as [string, string, string, ...unknown[]];
    if (verb === 'add') jails.set(jail, { backend: key, logpath: [], actions: [] });
    const j = jails.get(jail);
    if (verb !== 'set' || !j) continue;
    if (key === 'maxretry') j.maxretry = rest[0] as number | null;
    if (key === 'findtime') j.findtime = rest[0] as string;
    if (key === 'bantime') j.bantime = rest[0] as string;
    if (key === 'addlogpath') j.logpath.push(rest[0] as string);
    if (key === 'addaction') j.actions.push(rest[0] as string);
  }
  const error = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => /ERROR/.test(l)) ?? '';
  return { ok: lines.some((l) => l.startsWith("['start'")), error, jails };
}

/** A copy of the stock configuration with FILES written over it (relative path → content). */
function confDir(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(work, name);
  cpSync(STOCK, dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** ir's reading of the same directory, compared jail by jail with fail2ban's. */
async function compare(dir: string): Promise<{ dump: Dump; ir: NonNullable<Awaited<ReturnType<typeof readFail2banConfig>>> }> {
  const dump = fail2banDump(dir);
  const t = new LocalHost();
  const ir = (await readFail2banConfig(t, dir))!;
  const ini = await readFail2banIni(t, dir, 'jail');
  if (!dump.ok) return { dump, ir };
  // the jails fail2ban starts are the enabled ones ir reads
  expect(ir.jails.filter((j) => j.enabled).map((j) => j.name).sort()).toEqual([...dump.jails.keys()].sort());
  for (const [name, d] of dump.jails) {
    const j = ir.jails.find((x) => x.name === name)!;
    expect({ name, backend: ini.resolve(name, 'backend')?.value.split(/[\s[]/)[0] }).toEqual({ name, backend: d.backend });
    expect({ name, maxretry: j.maxretry ?? null }).toEqual({ name, maxretry: d.maxretry ?? null });
    expect({ name, findtime: ini.resolve(name, 'findtime')?.value, bantime: ini.resolve(name, 'bantime')?.value }).toEqual({ name, findtime: d.findtime, bantime: d.bantime });
    const actions = (ini.resolve(name, 'action')?.value ?? '').split('\n').map((l) => l.trim().split('[')[0]!.trim()).filter(Boolean);
    expect({ name, actions }).toEqual({ name, actions: d.actions });
    // fail2ban passes on the log files that exist
    expect({ name, logpath: (j.logpath ?? []).map((p) => p.split(/\s+/)[0]!).filter((p) => existsSync(p)) }).toEqual({ name, logpath: d.logpath });
  }
  return { dump, ir };
}

test('fail2ban times are read as MyTime.str2seconds reads them', () => {
  const texts = ['600', '10m', '1h', '1d', '365d', '-1', '1w', '1mo', '1y', '1d12h', '1d 12h', '1h 30m', '2h # two hours', '1year-6mo', '5 days', '3 Hours', '1D', '1min', '1mi', '2 mon', '1 2', '010', '00', '0.5h', '(1+1)*2h', '1d-1h', '2**3', '7//2', 'soon', '', '1x', '1h+', '1/0', '1d30'];
  const py = execFileSync(PYTHON, ['-c', 'import sys,json\nfrom fail2ban.server.mytime import MyTime\nout=[]\nfor s in json.load(sys.stdin):\n  try: out.append(float(MyTime.str2seconds(s)))\n  except Exception: out.append(None)\nprint(json.dumps(out))'], { input: JSON.stringify(texts), encoding: 'utf8' });
  const want = JSON.parse(py) as (number | null)[];
  expect(texts.map((s) => [s, fail2banTime(s)])).toEqual(texts.map((s, i) => [s, want[i]]));
  expect(fail2banTime('365d')).toBe(31536000);
});

test('booleans and numbers as fail2ban reads them', () => {
  expect(['1', 'on', 'True', 'YES', 'true'].map(fail2banBool)).toEqual([true, true, true, true, true]);
  expect(['0', 'tru', 'enabled', '', 'y'].map(fail2banBool)).toEqual([false, false, false, false, false]);
  expect(['3', ' 3 ', '+3', '-1', '03', '1_0', '3 # three', '3.0', '0x3', ''].map(fail2banInt)).toEqual([3, 3, 3, -1, 3, 10, null, null, null, null]);
});

test('one file: key case, comments, continuation lines, strict errors, each value with its line', () => {
  const f = parseIni(
    '# comment\n[DEFAULT]\nbackend = auto\nb = %(default/backend)s\n[sshd]\nMaxRetry = 2\naction = a[x=1]\n   b[y=2]\n\n   c[z=3]\nlogpath = %(b)s  # comment\nport = ssh ; inline\nbanaction=x;y\n  ; an indented comment\noops\n',
    '/j',
  );
  const sshd = f.sections.get('sshd')!;
  expect(sshd.get('maxretry')).toEqual({ value: '2', path: '/j', line: 6 });
  // blank lines stay inside a value; an indented line continues it
  expect(sshd.get('action')!.value).toBe('a[x=1]\nb[y=2]\n\nc[z=3]');
  // `#` is no inline comment to fail2ban; `;` is, after whitespace only
  expect(sshd.get('logpath')!.value).toBe('%(b)s  # comment');
  expect(sshd.get('port')!.value).toBe('ssh');
  expect(sshd.get('banaction')!.value).toBe('x;y');
  expect(f.errors).toEqual([{ path: '/j', line: 15, message: 'cannot read "oops": neither [section], key = value nor a comment: fail2ban refuses to start with it' }]);

  expect(parseIni('maxretry = 3\n[sshd]\n', '/k').errors).toEqual([{ path: '/k', line: 1, message: '"maxretry = 3" comes before any [section]: fail2ban refuses to start with it' }]);
  expect(parseIni('[sshd]\nmaxretry = 3\nMaxRetry = 4\n[sshd]\n', '/k').errors.map((e) => [e.line, e.message])).toEqual([
    [3, 'maxretry given twice in [sshd] of this file: fail2ban refuses to start with it'],
    [4, 'section [sshd] given twice in this file: fail2ban refuses to start with it'],
  ]);
  // a second [DEFAULT] header is allowed; CR line ends count as lines
  expect(parseIni('[DEFAULT]\na = 1\r[DEFAULT]\r\nb = 2\r\n', '/k')).toMatchObject({ errors: [], sections: new Map([['DEFAULT', new Map([['a', { value: '1', path: '/k', line: 2 }], ['b', { value: '2', path: '/k', line: 4 }]])]]) });
  // a byte order mark is not whitespace to Python: the first line is no section header
  expect(parseIni('\ufeff[sshd]\nenabled = true\n', '/k').errors[0]).toMatchObject({ line: 1 });
});

test('a 1 MB line of spaces is read in linear time', () => {
  const t0 = Date.now();
  const f = parseIni(`[sshd]\nmaxretry = 3${' '.repeat(1 << 20)}x\nbantime = ${'%('.repeat(1 << 18)}\n`, '/big');
  expect(f.sections.get('sshd')!.get('maxretry')!.value).toMatch(/^3 +x$/);
  expect(Date.now() - t0).toBeLessThan(5000);
});

test('interpolation: section, DEFAULT, default/, known/, other sections, __name__, %%, undefined names', async () => {
  const dir = join(work, 'interp');
  mkdirSync(join(dir, 'jail.d'), { recursive: true });
  writeFileSync(join(dir, 'jail.conf'), '[DEFAULT]\nbanaction = iptables\naction = %(banaction)s[name=%(__name__)s]\nx = 100%%\n[sshd]\nbantime = 1h\nport = %(web/port)s\n[web]\nport = http\n');
  writeFileSync(join(dir, 'jail.local'), '[sshd]\nbantime = %(known/bantime)s\nbackend = %(default/banaction)s\nlogpath = %(nothing)s\nfilter = 5%\n');
  const ini = await readFail2banIni(new LocalHost(), dir, 'jail');
  expect(ini.resolve('sshd', 'action')).toMatchObject({ value: 'iptables[name=sshd]', raw: '%(banaction)s[name=%(__name__)s]', path: join(dir, 'jail.conf'), line: 3, problems: [] });
  expect(ini.resolve('sshd', 'bantime')!.value).toBe('1h');
  expect(ini.resolve('sshd', 'backend')!.value).toBe('iptables');
  expect(ini.resolve('sshd', 'port')!.value).toBe('http');
  expect(ini.resolve('sshd', 'x')!.value).toBe('100%');
  expect(ini.resolve('sshd', 'logpath')).toMatchObject({ value: '%(nothing)s', problems: ['%(nothing)s is not defined'] });
  expect(ini.resolve('sshd', 'filter')!.problems).toEqual(['"%": a % must be followed by % or (name)s']);
});

test('files: .conf < .d/*.conf < .local < .d/*.local, includes before and after with their .local, problems named with file and line', async () => {
  const root = join(work, 'img');
  const d = join(root, 'etc/fail2ban');
  mkdirSync(join(d, 'jail.d'), { recursive: true });
  writeFileSync(join(d, 'jail.conf'), '[INCLUDES]\nbefore = paths.conf\nafter = late.conf\n[sshd]\nmaxretry = 1\n');
  writeFileSync(join(d, 'paths.conf'), '[DEFAULT]\nlog = /a\n');
  writeFileSync(join(d, 'paths.local'), '[DEFAULT]\nlog = /b\n');
  writeFileSync(join(d, 'late.conf'), '[sshd]\nmaxretry = 2\n');
  writeFileSync(join(d, 'jail.d/b.conf'), '[sshd]\nmaxretry = 3\n');
  writeFileSync(join(d, 'jail.d/a.local'), '[sshd]\nmaxretry = 5\n');
  writeFileSync(join(d, 'jail.d/.hidden.local'), '[sshd]\nmaxretry = 9\n');
  writeFileSync(join(d, 'jail.local'), '[sshd]\nmaxretry = 4\nbantime = 1d\n');
  const t = await ImageHost.open(root);
  let ini = await readFail2banIni(t, '/etc/fail2ban', 'jail');
  expect(ini.files).toEqual(['paths.conf', 'paths.local', 'jail.conf', 'late.conf', 'jail.d/b.conf', 'jail.local', 'jail.d/a.local'].map((f) => `/etc/fail2ban/${f}`));
  expect(ini.resolve('sshd', 'maxretry')).toMatchObject({ value: '5', path: '/etc/fail2ban/jail.d/a.local', line: 2 });
  expect(ini.resolve('sshd', 'log')!.value).toBe('/b');
  expect(ini.errors).toEqual([]);

  // not UTF-8: fail2ban skips the file; a FIFO, a directory, a padded file: not read, each said
  writeFileSync(join(d, 'jail.d/c.local'), Buffer.concat([Buffer.from('[sshd]\n# caf'), Buffer.from([0xe9]), Buffer.from('\nmaxretry = 7\n')]));
  execFileSync('mkfifo', [join(d, 'jail.d/d.local')]);
  mkdirSync(join(d, 'jail.d/e.local'));
  writeFileSync(join(d, 'jail.d/f.local'), '[sshd]\n');
  truncateSync(join(d, 'jail.d/f.local'), 20 << 20);
  ini = await readFail2banIni(t, '/etc/fail2ban', 'jail');
  expect(ini.errors.map((e) => [e.path, e.line, e.message])).toEqual([
    ['/etc/fail2ban/jail.d/c.local', 2, 'not valid UTF-8: fail2ban skips this whole file ("Error decoding config file")'],
    ['/etc/fail2ban/jail.d/d.local', 0, 'not a regular file (fifo): not read'],
    ['/etc/fail2ban/jail.d/e.local', 0, 'not a regular file (dir): not read'],
    ['/etc/fail2ban/jail.d/f.local', 0, '20971520 bytes, far larger than a configuration file: too large to judge'],
  ]);
  expect(ini.resolve('sshd', 'maxretry')!.value).toBe('5');
});

test('the stock configuration and a local one full of traps read as fail2ban reads them', async () => {
  // Debian's own files, sshd enabled by jail.d/defaults-debian.conf
  const stock = await compare(confDir('stock', {}));
  expect(stock.dump.ok).toBe(true);
  expect(stock.ir.errors).toEqual([]);
  expect(stock.dump.jails.has('sshd')).toBe(true);

  const log = join(work, 'auth.log');
  writeFileSync(log, '');
  const traps = await compare(
    confDir('traps', {
      'jail.local': `[DEFAULT]\nBanAction = nftables-multiport\n\n[sshd]\nMaxRetry = 2\nBanTime = 1mo ; a month\nFindTime = 1h # an hour\nbackend = polling\nlogpath = ${log}\n\n          /nonexistent.log\n[INCLUDES]\nafter = extra.conf\n\n[recidive]\nenabled = true\nlogpath = ${log}\nbackend = polling\nmaxretry = 3 # three strikes\n\n[nginx-http-auth]\nenabled = tru\n`,
      'extra.conf': '[sshd]\nfindtime = 2h\n',
      'extra.local': '[sshd]\nfindtime = 3h\n',
      'jail.d/zz.local': '[sshd]\nbantime = %(known/bantime)s\n',
    }),
  );
  expect(traps.dump.ok).toBe(true);
  expect(traps.ir.errors).toEqual([]);
  const sshd = traps.ir.jails.find((j) => j.name === 'sshd')!;
  expect(sshd).toMatchObject({ maxretry: 2, bantime: 2629800, findtime: 3 * 3600, banaction: 'nftables-multiport' });
  const recidive = traps.ir.jails.find((j) => j.name === 'recidive')!;
  expect(recidive.maxretry).toBeUndefined();
  expect(recidive.problems).toEqual([expect.objectContaining({ key: 'maxretry', line: 19, message: expect.stringMatching(/^maxretry = "3 # three strikes": not a whole number, fail2ban ignores it/) })]);
  expect(traps.ir.jails.find((j) => j.name === 'nginx-http-auth')!.problems).toEqual([expect.objectContaining({ key: 'enabled', line: 22, message: 'enabled = "tru": not true, yes, on or 1, so fail2ban takes it as false' })]);
});

test('what fail2ban refuses, ir names with file and line', async () => {
  for (const [name, text, line] of [
    ['malformed', '[sshd]\nmaxretry = 3\nthis is not ini\n', 3],
    ['twice', '[sshd]\nmaxretry = 3\nmaxretry = 4\n', 3],
    ['noheader', 'maxretry = 3\n[sshd]\n', 1],
    ['bom', '\ufeff[sshd]\nmaxretry = 3\n', 1],
  ] as const) {
    const { dump, ir } = await compare(confDir(name, { 'jail.d/zz.local': text }));
    expect({ name, ok: dump.ok }).toEqual({ name, ok: false });
    expect(ir.errors[0]).toMatchObject({ path: expect.stringMatching(/jail\.d\/zz\.local$/), line });
  }
  // a file that is not UTF-8 is skipped by fail2ban (it starts without it); ir reads the rest the same way and says so
  const { dump, ir } = await compare(confDir('latin1', { 'jail.d/zz.local': Buffer.from('[sshd]\nmaxretry = 1\n# caf\xe9\n', 'latin1') }));
  expect(dump.ok).toBe(true);
  expect(dump.jails.get('sshd')!.maxretry).toBe(5);
  expect(ir.jails.find((j) => j.name === 'sshd')!.maxretry).toBe(5);
  expect(ir.errors).toEqual([expect.objectContaining({ line: 3, message: expect.stringMatching(/not valid UTF-8/) })]);
}, 60_000);
