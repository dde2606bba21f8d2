import { verdict, type SweepCheck } from '../check.js';
import { FW_SOURCE, withUfw } from './ufw-common.js';

export const ufwActive: SweepCheck = {
  id: 'IR-FW-001',
  title: 'ufw is active',
  area: 'firewall',
  severity: 'high',
  expected: 'Status: active',
  remediation: 'ufw allow 22/tcp first, then ufw enable.',
  source: FW_SOURCE,
  lynis: 'FIRE-4590',
  reads: ['ufw status verbose', '/etc/ufw/ufw.conf', '/usr/sbin/ufw /lib/ufw/ufw-init (installed)', '/usr/sbin/ufw /lib/ufw/ufw-init /etc/ufw/*.conf /etc/ufw/*.rules /etc/default/ufw'],
  run: (ctx) => withUfw(ctx, (u) => verdict(u.active === true, u.active === null ? 'unknown' : u.active ? 'active' : 'inactive', u.evidence)),
};
