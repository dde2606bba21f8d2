import { dbus, judgeBusConfig } from '../../src/scan/detectors/dbus.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('dbus detector', () => {
  it('judges bus configuration: service directories, the launch helper, default-context grants', () => {
    expect(judgeBusConfig('<busconfig><servicedir>/var/tmp/.d</servicedir></busconfig>').map((s) => [s.rule, s.severity])).toEqual([['servicedir', 'critical']]);
    expect(judgeBusConfig('<servicehelper>/usr/lib/dbus-1.0/dbus-daemon-launch-helper</servicehelper>')).toEqual([]);
    expect(judgeBusConfig('<servicehelper>/usr/local/lib/helper</servicehelper>').map((s) => s.rule)).toEqual(['servicehelper']);
    expect(judgeBusConfig('<policy context="default">\n<deny own="*"/>\n<allow own="*"/>\n</policy>').map((s) => s.rule)).toEqual(['own-any']);
    // root may own anything: that is the stock system.conf
    expect(judgeBusConfig('<policy user="root">\n<allow own="*"/>\n</policy>')).toEqual([]);
    expect(judgeBusConfig('<!-- <policy context="default"><allow own="*"/></policy> -->')).toEqual([]);
  });

  it('benign: a package-owned service (Exec=/bin/false, systemd-activated) and its policy say nothing', async () => {
    const res = await runOn(dbus, `${PERSIST}/dbus/benign`);
    expect(res.findings).toEqual([]);
    expect(res.examined).toBeGreaterThanOrEqual(2);
  });

  it('malicious: an unowned service whose helper is a reverse shell, a policy letting anyone own any name', async () => {
    const res = await runOn(dbus, `${PERSIST}/dbus/malicious`);
    expect(atLeast(res, 'high').map((f) => [f.path, f.severity, f.rule])).toEqual(
      expect.arrayContaining([
        ['/usr/lib/nethelper/nethelperd', 'critical', 'dbus.reverse-shell'],
        ['/etc/dbus-1/system.d/org.example.Agent.conf', 'high', 'dbus.own-any'],
      ]),
    );
    const svc = res.findings.find((f) => f.path === '/usr/share/dbus-1/system-services/org.freedesktop.NetHelper1.service')!;
    expect(svc).toMatchObject({ severity: 'medium', rule: 'dbus.unowned', attack: 'T1543' });
    for (const f of atLeast(res, 'high')) expect(f.remediation).toBeTruthy();
  });
});
