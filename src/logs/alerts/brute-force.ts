import { AUTH_REVIEW_DEFAULTS } from '../defaults.js';
import { banLine, bruteWindowText, iso, type AuthAlert } from './unit.js';

export const bruteForce: AuthAlert = {
  id: 'auth.brute-force',
  title: 'Brute force from one address',
  severity: 'medium',
  attack: 'T1110.001',
  description: '`--brute-threshold` failed attempts from one address within `--brute-window`',
  thresholds: [
    { name: 'bruteThreshold', flag: '--brute-threshold', default: String(AUTH_REVIEW_DEFAULTS.bruteThreshold), description: 'failures from one address' },
    { name: 'bruteWindowMs', flag: '--brute-window', default: `${AUTH_REVIEW_DEFAULTS.bruteWindowMs / 60_000}m`, description: 'within this window' },
  ],
  reads: { events: ['ssh.failed', 'ssh.invalid-user', 'pam.auth-failure'] },
  run({ stats, thresholds }) {
    return [...stats.ips.values()]
      .filter((r) => r.bruteAt !== Infinity)
      .map((r) => ({
        title: `brute force from ${r.ip}: ${r.failures} failures, ${r.users.size + r.usersOverflow} users`,
        entry: r.ip,
        evidence: r.bruteLine ?? r.sampleLine ?? '',
        reason: `${bruteWindowText(thresholds)} (first at ${iso(r.bruteAt)})`,
        time: r.bruteAt,
        details: { ip: r.ip, failures: r.failures, firstSeen: iso(r.firstFail), lastSeen: iso(r.lastFail) },
        remediation: banLine(r.ip),
      }));
  },
};
