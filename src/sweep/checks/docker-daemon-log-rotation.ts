import { verdict, type SweepCheck } from '../check.js';
import { DAEMON_SOURCE, daemonEvidence, daemonSetting, withDaemon } from './docker-daemon-common.js';

/** json-file (the default) never rotates unless max-size is set: one chatty container fills the disk. */
export const dockerDaemonLogRotation: SweepCheck = {
  id: 'IR-DCK-016',
  title: 'Docker container logs are rotated',
  area: 'docker',
  severity: 'low',
  expected: 'log-driver local/journald/syslog, or json-file with log-opts max-size',
  remediation: '"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"} in daemon.json.',
  source: DAEMON_SOURCE,
  reads: ['/etc/docker/daemon.json'],
  run: (ctx) =>
    withDaemon(ctx, (d) => {
      const driver = String(daemonSetting(d, 'log-driver') ?? 'json-file');
      const opts = (d.json['log-opts'] ?? {}) as Record<string, string>;
      const ok = ['local', 'journald', 'syslog', 'none', 'fluentd', 'gelf', 'awslogs', 'gcplogs', 'splunk'].includes(driver) || Boolean(opts['max-size']);
      return verdict(ok, `log-driver ${driver}${opts['max-size'] ? `, max-size ${opts['max-size']}, max-file ${opts['max-file'] ?? '1'}` : ', no max-size'}`, daemonEvidence(d, 'log-opts'), { path: d.path });
    }),
};
