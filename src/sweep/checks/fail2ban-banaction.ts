import { fail, verdict, type SweepCheck } from '../check.js';
import { F2B_SOURCE, SSHD_JAIL, withFail2ban } from './fail2ban-common.js';

export const fail2banBanaction: SweepCheck = {
  id: 'IR-F2B-007',
  title: 'fail2ban sshd jail bans at the firewall',
  area: 'fail2ban',
  severity: 'medium',
  expected: 'an action that blocks (ufw, iptables-*, nftables-*, firewallcmd-*), its tool installed',
  remediation: 'banaction = ufw (as the hardening guide) or nftables-multiport in [sshd]; a "dummy" or mail-only action bans nobody.',
  source: F2B_SOURCE,
  reads: ['fail2ban-client get sshd actions', '/etc/fail2ban/jail.local (banaction, action)', '/usr/bin/fail2ban-client /etc/fail2ban/*.conf /etc/fail2ban/*.local /etc/fail2ban/jail.d/* (jail.conf, its includes, jail.local)', '/usr/sbin/ufw (a ufw banaction needs ufw)'],
  run: (ctx) =>
    withFail2ban(ctx, async (f) => {
      const v = await f.get(SSHD_JAIL, 'actions');
      if (!v) return fail('no action: the jail bans nobody', f.files.join(', '));
      const names = v.value.split('\n').filter(Boolean);
      const blocking = names.filter((n) => (ctx.knobs.blockingBanactions as readonly string[]).includes(n) || /^(iptables|nftables|firewallcmd|ufw|shorewall)/.test(n));
      const extra = { path: v.path, line: v.line };
      if (blocking.includes('ufw') && !(await ctx.target.stat('/usr/sbin/ufw').catch(() => null))) {
        return fail(`action ufw, but ufw is not installed`, v.evidence, extra);
      }
      return verdict(blocking.length > 0, `actions: ${names.join(', ')}`, v.evidence, extra);
    }),
};
