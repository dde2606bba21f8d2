import { verdict, type SweepCheck } from '../check.js';
import { FW_SOURCE, withUfw } from './ufw-common.js';

export const ufwDefaultDeny: SweepCheck = {
  id: 'IR-FW-002',
  title: 'ufw denies incoming by default',
  area: 'firewall',
  severity: 'high',
  expected: 'Default: deny (incoming)',
  remediation: 'ufw default deny incoming',
  source: FW_SOURCE,
  lynis: 'FIRE-4508',
  reads: ['ufw status verbose', '/etc/default/ufw', '/usr/sbin/ufw /lib/ufw/ufw-init /etc/ufw/*.conf /etc/ufw/*.rules /etc/default/ufw'],
  run: (ctx) =>
    withUfw(ctx, (u) => verdict(u.defaultIncoming === 'deny' || u.defaultIncoming === 'reject', `default incoming: ${u.defaultIncoming ?? 'unknown'}`, u.evidence)),
};
