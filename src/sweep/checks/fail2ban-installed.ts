import { verdict, type SweepCheck } from '../check.js';
import { fail2banFacts } from '../facts/fail2ban.js';
import { F2B_SOURCE } from './fail2ban-common.js';

export const fail2banInstalled: SweepCheck = {
  id: 'IR-F2B-001',
  title: 'fail2ban is installed',
  area: 'fail2ban',
  severity: 'high',
  expected: 'fail2ban-client present',
  remediation: 'apt-get install fail2ban, then configure the sshd jail in /etc/fail2ban/jail.local.',
  source: F2B_SOURCE,
  lynis: 'TOOL-5102',
  reads: ['/usr/bin/fail2ban-client', '/etc/fail2ban', '/usr/bin/fail2ban-client /etc/fail2ban/*.conf /etc/fail2ban/*.local /etc/fail2ban/jail.d/* (jail.conf, its includes, jail.local)'],
  async run(ctx) {
    const f = await fail2banFacts(ctx);
    return verdict(f.installed, f.installed ? `installed (${f.installEvidence})` : 'not installed', f.installEvidence);
  },
};
