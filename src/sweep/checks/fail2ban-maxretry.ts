import { fail2banInt } from '../../fail2ban/ini.js';
import { fail, verdict, type SweepCheck } from '../check.js';
import { F2B_SOURCE, SSHD_JAIL, withFail2ban } from './fail2ban-common.js';

export const fail2banMaxretry: SweepCheck = {
  id: 'IR-F2B-004',
  title: 'fail2ban sshd maxretry is low',
  area: 'fail2ban',
  severity: 'medium',
  expected: (p) => `maxretry ≤ ${p.fail2ban.maxretry}`,
  remediation: '[sshd] maxretry = 3 in /etc/fail2ban/jail.local (policy fail2ban.maxretry).',
  source: F2B_SOURCE,
  lynis: 'TOOL-5104',
  reads: ['fail2ban-client get sshd maxretry', '/etc/fail2ban/jail.local', '/usr/bin/fail2ban-client /etc/fail2ban/*.conf /etc/fail2ban/*.local /etc/fail2ban/jail.d/* (jail.conf, its includes, jail.local)'],
  run: (ctx) =>
    withFail2ban(ctx, async (f) => {
      const v = await f.get(SSHD_JAIL, 'maxretry');
      // unset: fail2ban's own default is 5
      if (!v) return verdict(5 <= ctx.policy.fail2ban.maxretry, 'maxretry unset (fail2ban default 5)', f.files.join(', '));
      // read as fail2ban reads it (Python's int()): `3 # three` is not a number, and fail2ban ignores it
      const n = fail2banInt(v.value);
      if (n === null) return fail(`maxretry = ${v.value} (not a whole number: fail2ban ignores it and keeps its default)`, v.evidence, { path: v.path, line: v.line });
      return verdict(n <= ctx.policy.fail2ban.maxretry, `maxretry = ${n}`, v.evidence, { path: v.path, line: v.line });
    }),
};
