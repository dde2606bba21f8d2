import { parseAnacrontab, parseCrontab } from '../../src/scan/detectors/cron.js';
import { cron } from '../../src/scan/detectors/cron.js';
import { ImageHost } from '../../src/host/image.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { Facts } from '../../src/scan/facts.js';

describe('parseCrontab', () => {
  it('parses user crontabs: five fields, @reboot, environment lines and comments', () => {
    const { entries, malformed } = parseCrontab('SHELL=/bin/sh\n# c\n*/5 * * * *   /usr/bin/backup  --fast\n@reboot /dev/shm/x\n', false);
    expect(malformed).toEqual([]);
    expect(entries).toEqual([
      { schedule: '*/5 * * * *', user: undefined, command: '/usr/bin/backup  --fast', line: 3, raw: '*/5 * * * *   /usr/bin/backup  --fast' },
      { schedule: '@reboot', user: undefined, command: '/dev/shm/x', line: 4, raw: '@reboot /dev/shm/x' },
    ]);
  });

  it('reads the user field of system crontabs and keeps names in fields', () => {
    const { entries } = parseCrontab('47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || run-parts /etc/cron.weekly\n0 0 1 jan,jul mon-fri www-data php /x.php\n', true);
    expect(entries.map((e) => [e.schedule, e.user, e.command])).toEqual([
      ['47 6 * * 7', 'root', 'test -x /usr/sbin/anacron || run-parts /etc/cron.weekly'],
      ['0 0 1 jan,jul mon-fri', 'www-data', 'php /x.php'],
    ]);
  });

  it('reports malformed lines instead of guessing', () => {
    const { entries, malformed } = parseCrontab('this is not cron\n* * *\n61 * * * * ok\n', false);
    expect(entries.map((e) => e.command)).toEqual(['ok']);
    expect(malformed.map((m) => m.line)).toEqual([1, 2]);
  });

  it('parses anacrontab', () => {
    expect(parseAnacrontab('1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n')[0]).toMatchObject({ command: 'run-parts --report /etc/cron.daily', user: 'root' });
  });
});

describe('cron detector on the bundled example', () => {
  it('flags the planted jobs and leaves the stock Debian files at info', async () => {
    const target = await ImageHost.open('examples/compromised-host');
    const res = await cron.run({ target, policy: defaultPolicy(), deep: false, facts: new Facts(target) });
    const bySev = (s: string) => res.findings.filter((f) => f.severity === s).map((f) => `${f.rule} ${f.path}:${f.line}`);
    // the base64 payload is decoded and judged: `curl … | bash`
    expect(bySev('critical').sort()).toEqual(['cron.fetch-exec /var/spool/cron/crontabs/deploy:4', 'cron.fetch-exec /var/spool/cron/crontabs/root:3']);
    expect(bySev('high').sort()).toEqual(['cron.writable-dir /var/spool/cron/crontabs/root:2']);
    const stock = res.findings.filter((f) => f.path === '/etc/crontab' || f.path?.startsWith('/etc/cron.d/') || f.path === '/etc/cron.daily/logrotate');
    expect(stock.length).toBeGreaterThanOrEqual(7);
    expect(stock.every((f) => f.severity === 'info')).toBe(true);
    // the key is stable across runs and independent of the line number
    const again = await cron.run({ target, policy: defaultPolicy(), deep: false, facts: new Facts(target) });
    expect(again.findings.map((f) => f.key)).toEqual(res.findings.map((f) => f.key));
  });
});
