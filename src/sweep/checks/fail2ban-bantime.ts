import { fail, verdict, type SweepCheck } from '../check.js';
import { fail2banTime } from '../../fail2ban/ini.js';
import { F2B_SOURCE, SSHD_JAIL, withFail2ban } from './fail2ban-common.js';

export const fail2banBantime: SweepCheck = {
  id: 'IR-F2B-005',
  title: 'fail2ban sshd bantime is long',
  area: 'fail2ban',
  severity: 'low',
  expected: (p) => `bantime ≥ ${p.fail2ban.minBantime} s (or -1, permanent)`,
  remediation: '[sshd] bantime = 365d as the hardening guide does (policy fail2ban.minBantime).',
  source: F2B_SOURCE,
  reads: ['fail2ban-client get sshd bantime', '/etc/fail2ban/jail.local', '/usr/bin/fail2ban-client /etc/fail2ban/*.conf /etc/fail2ban/*.local /etc/fail2ban/jail.d/* (jail.conf, its includes, jail.local)'],
  run: (ctx) =>
    withFail2ban(ctx, async (f) => {
      const v = await f.get(SSHD_JAIL, 'bantime');
      // fail2ban's own default is 10 minutes
      const s = v ? fail2banTime(v.value) : 600;
      if (s === null) return fail(`bantime = ${v!.value} (fail2ban cannot read it: the jail does not start)`, v!.evidence, { path: v!.path, line: v!.line });
      return verdict(s < 0 || s >= ctx.policy.fail2ban.minBantime, `bantime = ${s < 0 ? 'permanent' : `${s} s`}`, v?.evidence ?? 'fail2ban default (10m)', { path: v?.path, line: v?.line });
    }),
};
