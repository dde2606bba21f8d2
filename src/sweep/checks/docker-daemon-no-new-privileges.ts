import { verdict, type SweepCheck } from '../check.js';
import { DAEMON_SOURCE, daemonEvidence, daemonSetting, withDaemon } from './docker-daemon-common.js';

export const dockerDaemonNoNewPrivileges: SweepCheck = {
  id: 'IR-DCK-014',
  title: 'Docker daemon defaults to no-new-privileges',
  area: 'docker',
  severity: 'low',
  expected: '"no-new-privileges": true in daemon.json',
  remediation: '"no-new-privileges": true in /etc/docker/daemon.json, then restart docker.',
  source: DAEMON_SOURCE,
  cis: '2.18',
  reads: ['/etc/docker/daemon.json', '/proc/stat /proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid} (dockerd command line)'],
  run: (ctx) =>
    withDaemon(ctx, (d) => {
      const v = daemonSetting(d, 'no-new-privileges');
      return verdict(v === true, `no-new-privileges ${v === undefined ? 'unset' : JSON.stringify(v)}`, daemonEvidence(d, 'no-new-privileges'), { path: d.path });
    }),
};
