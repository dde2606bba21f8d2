import { bruteForce } from './brute-force.js';
import { banLine, bruteWindowText, iso, type AuthAlert } from './unit.js';

export const successAfterBruteForce: AuthAlert = {
  id: 'auth.success-after-brute-force',
  title: 'Login after a brute force from the same address',
  severity: 'critical',
  attack: 'T1110',
  description: 'an address logs in after reaching the brute-force threshold: assume the account is compromised',
  thresholds: bruteForce.thresholds,
  reads: { events: ['ssh.accepted', 'ssh.failed', 'ssh.invalid-user', 'pam.auth-failure'] },
  run({ logins, thresholds }) {
    return logins
      .filter((l) => l.afterBruteForce)
      .map((l) => ({
        title: `${l.user} logged in from ${l.ip} (${l.method}) after a brute force from that address`,
        entry: `${l.user}@${l.ip}`,
        user: l.user,
        evidence: l.line,
        reason: `${l.ip} made ${l.failuresFromIp} failed attempts (${bruteWindowText(thresholds)}) and then logged in: assume the account is compromised`,
        time: l.last,
        details: { ip: l.ip, method: l.method, logins: l.count, first: iso(l.first), last: iso(l.last), fingerprints: l.fingerprints },
        remediation: `lock the account, kill its sessions, keep the logs: ir collect; then ${banLine(l.ip)}`,
      }));
  },
};
