import { AUTH_REVIEW_DEFAULTS } from '../defaults.js';
import type { AuthAlert } from './unit.js';

export const distributedAttack: AuthAlert = {
  id: 'auth.distributed-attack',
  title: 'Distributed attack on one account',
  severity: 'medium',
  attack: 'T1110',
  description: '`--distributed-ips` distinct addresses failed as one user',
  thresholds: [{ name: 'distributedIps', flag: '--distributed-ips', default: String(AUTH_REVIEW_DEFAULTS.distributedIps), description: 'distinct addresses failing as one user' }],
  reads: { events: ['ssh.failed', 'ssh.invalid-user', 'pam.auth-failure'] },
  run({ stats, thresholds }) {
    return [...stats.users.values()]
      .filter((u) => u.ips.size + u.ipsOverflow >= thresholds.distributedIps)
      .map((u) => {
        const n = u.ips.size + u.ipsOverflow;
        return {
          title: `distributed attack on ${JSON.stringify(u.user)}: ${n} addresses`,
          entry: u.user,
          user: u.user,
          evidence: `${u.failures} failures for user ${u.user} from ${n} addresses`,
          reason: `${n} distinct addresses failed as one user (threshold ${thresholds.distributedIps})`,
          time: u.firstFail,
          details: { user: u.user, failures: u.failures, ips: n, sample: [...u.ips].slice(0, 10) },
        };
      });
  },
};
