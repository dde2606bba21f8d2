import { verdict, type SweepCheck } from '../check.js';
import { DAEMON_SOURCE, daemonEvidence, daemonSetting, withDaemon } from './docker-daemon-common.js';

export const dockerDaemonIcc: SweepCheck = {
  id: 'IR-DCK-015',
  title: 'Docker daemon disables inter-container traffic on the default bridge',
  area: 'docker',
  severity: 'low',
  expected: '"icc": false in daemon.json',
  remediation: '"icc": false in /etc/docker/daemon.json; Compose networks still connect the services that share them.',
  source: DAEMON_SOURCE,
  cis: '2.1',
  reads: ['/etc/docker/daemon.json', '/proc/stat /proc/*/{stat,cmdline,exe,cwd,ns/net,ns/pid} (dockerd command line)'],
  run: (ctx) =>
    withDaemon(ctx, (d) => {
      const v = daemonSetting(d, 'icc');
      return verdict(v === false, `icc ${v === undefined ? 'unset (true)' : JSON.stringify(v)}`, daemonEvidence(d, 'icc'), { path: d.path });
    }),
};
