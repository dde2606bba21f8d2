import { verdict, type SweepCheck } from '../check.js';
import { FW_SOURCE, withUfw } from './ufw-common.js';

export const ufwAllowedPorts: SweepCheck = {
  id: 'IR-FW-003',
  title: 'ufw opens only the policy ports',
  area: 'firewall',
  severity: 'high',
  expected: (p) => `ALLOW from anywhere only for ${p.allowedPorts.join(', ')}`,
  remediation: 'ufw delete allow PORT for every rule outside the policy (allowedPorts in the policy file).',
  source: FW_SOURCE,
  reads: ['ufw status verbose', '/etc/ufw/user.rules', '/etc/ufw/user6.rules', '/usr/sbin/ufw /lib/ufw/ufw-init /etc/ufw/*.conf /etc/ufw/*.rules /etc/default/ufw'],
  run: (ctx) =>
    withUfw(ctx, (u) => {
      const allowed = new Set(ctx.policy.allowedPorts);
      const open = u.rules.filter((r) => /^(ALLOW|LIMIT)/.test(r.action) && !/OUT/.test(r.action) && r.anywhere);
      const extra = open.filter((r) => r.ports === null || r.ports.some((p) => !allowed.has(p)));
      const shown = (extra.length ? extra : open).map((r) => `${r.to} ${r.action} ${r.from}`);
      return verdict(extra.length === 0, extra.length ? `also open: ${shown.join('; ')}` : `open: ${[...new Set(shown)].join('; ') || 'none'}`, u.evidence);
    }),
};
