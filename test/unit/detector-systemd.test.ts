import { systemd, parseUnit } from '../../src/scan/detectors/systemd.js';
import { Finding } from '../../src/core/finding.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('systemd detector', () => {
  it('parses sections, continuations and comments', () => {
    const u = parseUnit('[Service]\n# c\nExecStart=/bin/a \\\n  -b\nUser=x\n');
    expect(u.sections.get('Service')).toEqual([
      ['ExecStart', '/bin/a -b', 3],
      ['User', 'x', 5],
    ]);
  });

  it('benign: package units are silent, a gunicorn unit from a venv in /home/deploy is low at most', async () => {
    const res = await runOn(systemd, `${PERSIST}/systemd/benign`);
    expect(atLeast(res, 'medium')).toEqual([]);
    const g = res.findings.find((f) => f.path === '/etc/systemd/system/gunicorn.service');
    expect(g?.severity).toBe('low');
    expect(g?.details?.enabled).toBe(true);
    expect(res.findings.some((f) => f.path?.includes('cron.service') || f.path?.includes('logrotate'))).toBe(false);
    for (const f of res.findings) Finding.parse(f);
  });

  it('malicious: fetch-and-exec unit, drop-in from /dev/shm, timer service in /var/tmp, user unit, generator', async () => {
    const res = await runOn(systemd, `${PERSIST}/systemd/malicious`);
    const bad = atLeast(res, 'high').map((f) => f.path);
    expect(bad).toEqual(
      expect.arrayContaining([
        '/etc/systemd/system/dbus-broker-helper.service',
        '/etc/systemd/system/ssh.service.d/override.conf',
        '/etc/systemd/system/apt-refresh.service',
        '/home/deploy/.config/systemd/user/sync.service',
        '/usr/lib/systemd/system-generators/net-fixup',
      ]),
    );
    const fetch = res.findings.find((f) => f.path === '/etc/systemd/system/dbus-broker-helper.service')!;
    expect(fetch.severity).toBe('critical');
    expect(fetch.attack).toBe('T1543.002');
    expect(fetch.key).toBe(res.findings.find((f) => f.key === fetch.key)!.key);
    const timer = res.findings.find((f) => f.path === '/etc/systemd/system/apt-refresh.timer');
    expect(timer?.attack).toBe('T1053.006');
    for (const f of res.findings) Finding.parse(f);
  });

  it('keys are stable across runs', async () => {
    const a = await runOn(systemd, `${PERSIST}/systemd/malicious`);
    const b = await runOn(systemd, `${PERSIST}/systemd/malicious`);
    expect(a.findings.map((f) => f.key + f.contentHash).sort()).toEqual(b.findings.map((f) => f.key + f.contentHash).sort());
  });
});
