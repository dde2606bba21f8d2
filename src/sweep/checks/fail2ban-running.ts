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
  reads: ['fail2ban-client -c DIR ping'],
  run: (ctx) =>
    withFail2ban(ctx, async (f) => verdict(Boolean(f.server?.running), f.server?.running ? 'running' : `not running: ${f.server?.reason ?? 'no answer'}`, f.server?.evidence ?? ''), { readsConfig: false }),
};
