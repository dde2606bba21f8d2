import { iso, type AuthAlert } from './unit.js';

export const rootLogin: AuthAlert = {
  id: 'auth.root-login',
  title: 'Root logged in over ssh against the policy',
  severity: 'high',
  attack: 'T1078.003',
  description: 'root logged in over ssh while the policy says `permitRootLogin: no` (a key login is fine with `prohibit-password`)',
  thresholds: [],
  reads: { events: ['ssh.accepted'], policy: ['ssh.permitRootLogin'] },
  run({ logins, policy }) {
    const allowed = policy.ssh.permitRootLogin;
    if (allowed === 'yes') return [];
    const keysOnly = /^(prohibit-password|without-password)$/.test(allowed);
    return logins
      .filter((l) => l.user === 'root' && !(keysOnly && l.method === 'publickey'))
      .map((l) => ({
        title: `root logged in over ssh from ${l.ip} (${l.method}), ${l.count}×`,
        entry: `${l.ip}:${l.method}`,
        user: 'root',
        evidence: l.line,
        reason: `policy ssh.permitRootLogin is ${allowed}`,
        time: l.first,
        details: { ip: l.ip, method: l.method, logins: l.count, first: iso(l.first), last: iso(l.last) },
        remediation: 'PermitRootLogin no in sshd_config; log in as a user and use sudo',
      }));
  },
};
