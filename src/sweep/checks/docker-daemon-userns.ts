import { verdict, type SweepCheck } from '../check.js';
import { DAEMON_SOURCE, daemonEvidence, daemonSetting, withDaemon } from './docker-daemon-common.js';

export const dockerDaemonUserns: SweepCheck = {
  id: 'IR-DCK-013',
  title: 'Docker daemon remaps container root (userns-remap)',
  area: 'docker',
  severity: 'medium',
  expected: '"userns-remap" set in daemon.json',
  remediation: '"userns-remap": "default" in /etc/docker/daemon.json, then restart docker (images are re-pulled under the remapped root).',
  source: DAEMON_SOURCE,
  cis: '2.8',
  reads: ['/etc/docker/daemon.json (or dockerd --config-file)', 'dockerd command line'],
  run: (ctx) =>
    withDaemon(ctx, (d) => {
      const v = daemonSetting(d, 'userns-remap');
      return verdict(typeof v === 'string' && v.length > 0, `userns-remap ${v === undefined ? 'unset' : JSON.stringify(v)}`, daemonEvidence(d, 'userns-remap'), { path: d.path });
    }),
};
