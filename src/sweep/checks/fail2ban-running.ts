import { verdict, type SweepCheck } from '../check.js';
import { F2B_SOURCE, withFail2ban } from './fail2ban-common.js';

export const fail2banRunning: SweepCheck = {
  id: 'IR-F2B-002',
  title: 'fail2ban server is running',
  area: 'fail2ban',
  severity: 'high',
  expected: 'fail2ban-client ping answers pong',
  remediation: 'systemctl enable --now fail2ban; `fail2ban-client -t` shows why it does not start.',
  source: F2B_SOURCE,
  lynis: 'TOOL-5102',
  liveOnly: true,
  reads: ['fail2ban-client -c DIR ping', '/usr/bin/fail2ban-client /etc/fail2ban/*.conf /etc/fail2ban/*.local /etc/fail2ban/jail.d/* (jail.conf, its includes, jail.local)'],
  run: (ctx) =>
    withFail2ban(ctx, async (f) => verdict(Boolean(f.server?.running), f.server?.running ? 'running' : `not running: ${f.server?.reason ?? 'no answer'}`, f.server?.evidence ?? ''), { readsConfig: false }),
};
