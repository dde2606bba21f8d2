import { AUTH_REVIEW_DEFAULTS } from '../defaults.js';
import type { AuthAlert } from './unit.js';

export const passwordSpray: AuthAlert = {
  id: 'auth.password-spray',
  title: 'Password spray from one address',
  severity: 'medium',
  attack: 'T1110.003',
  description: 'one address tried `--spray-users` distinct user names',
  thresholds: [{ name: 'sprayUsers', flag: '--spray-users', default: String(AUTH_REVIEW_DEFAULTS.sprayUsers), description: 'distinct users tried from one address' }],
  reads: { events: ['ssh.failed', 'ssh.invalid-user', 'pam.auth-failure'] },
  run({ stats, thresholds }) {
    return [...stats.ips.values()]
      .filter((r) => r.users.size + r.usersOverflow >= thresholds.sprayUsers)
      .map((r) => {
        const n = r.users.size + r.usersOverflow;
        return {
          title: `password spray from ${r.ip}: ${n} user names tried`,
          entry: r.ip,
          evidence: r.sampleLine ?? '',
          reason: `one address tried ${n} distinct users (threshold ${thresholds.sprayUsers})`,
          time: r.firstFail,
          details: { ip: r.ip, users: [...r.users].slice(0, 20), failures: r.failures },
        };
      });
  },
};
