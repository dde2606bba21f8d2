import { iso, type AuthAlert } from './unit.js';

export const passwordLogin: AuthAlert = {
  id: 'auth.password-login',
  title: 'Password login while the policy says keys only',
  severity: 'high',
  attack: 'T1078',
  description: 'a password or keyboard-interactive login while the policy says keys only (`passwordAuthentication: false`)',
  thresholds: [],
  reads: { events: ['ssh.accepted'], policy: ['ssh.passwordAuthentication'] },
  run({ logins, policy }) {
    if (policy.ssh.passwordAuthentication) return [];
    return logins
      .filter((l) => l.method === 'password' || l.method.startsWith('keyboard-interactive'))
      .map((l) => ({
        title: `${l.user} logged in with a password from ${l.ip} while policy says keys only`,
        entry: `${l.user}@${l.ip}:${l.method}`,
        user: l.user,
        evidence: l.line,
        reason: 'policy ssh.passwordAuthentication is false, yet sshd accepted a password: sshd_config drifted or was changed',
        time: l.first,
        details: { ip: l.ip, method: l.method, logins: l.count, first: iso(l.first), last: iso(l.last) },
        remediation: 'PasswordAuthentication no (and KbdInteractiveAuthentication no) in sshd_config, then ir sweep',
      }));
  },
};
