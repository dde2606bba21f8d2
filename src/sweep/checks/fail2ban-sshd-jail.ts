import { fail2banBool } from '../../fail2ban/ini.js';
import { verdict, type SweepCheck } from '../check.js';
import { F2B_SOURCE, SSHD_JAIL, withFail2ban } from './fail2ban-common.js';

export const fail2banSshdJail: SweepCheck = {
  id: 'IR-F2B-003',
  title: 'fail2ban sshd jail is enabled',
  area: 'fail2ban',
  severity: 'high',
  expected: 'jail sshd enabled (and loaded by the server)',
  remediation: 'In /etc/fail2ban/jail.local: [sshd] enabled = true; then fail2ban-client reload.',
  source: F2B_SOURCE,
  lynis: 'TOOL-5104',
  reads: ['fail2ban-client -c DIR status', '/etc/fail2ban/jail.conf', '/etc/fail2ban/jail.d/*', '/etc/fail2ban/jail.local', '/usr/bin/fail2ban-client /etc/fail2ban/*.conf /etc/fail2ban/*.local /etc/fail2ban/jail.d/* (jail.conf, its includes, jail.local)'],
  run: (ctx) =>
    withFail2ban(ctx, async (f) => {
      if (f.server?.running) {
        const on = f.server.jails.includes(SSHD_JAIL);
        return verdict(on, on ? `loaded (jails: ${f.server.jails.join(', ')})` : `not loaded (jails: ${f.server.jails.join(', ') || 'none'})`, f.server.evidence);
      }
      const v = await f.get(SSHD_JAIL, 'enabled');
      // fail2ban's own reading: anything but 1, on, true, yes is false (`enabled = tru` disables the jail)
      const on = fail2banBool(v?.value ?? '');
      const odd = v && !on && !['0', 'off', 'false', 'no'].includes(v.value.toLowerCase()) ? ' (not true, yes, on or 1: fail2ban reads it as false)' : '';
      return verdict(on, `enabled = ${v?.value ?? '(unset: false)'}${odd}`, v?.evidence ?? f.files.join(', '), { path: v?.path, line: v?.line });
    }),
};
