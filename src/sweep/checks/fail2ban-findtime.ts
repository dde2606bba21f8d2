import { fail, verdict, type SweepCheck } from '../check.js';
import { fail2banTime } from '../../fail2ban/ini.js';
import { F2B_SOURCE, SSHD_JAIL, withFail2ban } from './fail2ban-common.js';

export const fail2banFindtime: SweepCheck = {
  id: 'IR-F2B-006',
  title: 'fail2ban sshd findtime is long enough',
  area: 'fail2ban',
  severity: 'low',
  expected: (p) => `findtime ≥ ${p.fail2ban.minFindtime} s`,
  remediation: '[sshd] findtime = 1d (the hardening guide counts failures over 24 hours; policy fail2ban.minFindtime).',
  source: F2B_SOURCE,
  reads: ['fail2ban-client get sshd findtime', '/etc/fail2ban/jail.local', '/usr/bin/fail2ban-client /etc/fail2ban/*.conf /etc/fail2ban/*.local /etc/fail2ban/jail.d/* (jail.conf, its includes, jail.local)'],
  run: (ctx) =>
    withFail2ban(ctx, async (f) => {
      const v = await f.get(SSHD_JAIL, 'findtime');
      const s = v ? fail2banTime(v.value) : 600;
      if (s === null) return fail(`findtime = ${v!.value} (fail2ban cannot read it: the jail does not start)`, v!.evidence, { path: v!.path, line: v!.line });
      return verdict(s >= ctx.policy.fail2ban.minFindtime, `findtime = ${s} s`, v?.evidence ?? 'fail2ban default (10m)', { path: v?.path, line: v?.line });
    }),
};
