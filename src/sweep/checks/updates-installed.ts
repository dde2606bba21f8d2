import { na, verdict, type SweepCheck } from '../check.js';
import { dpkgInstalled } from '../facts/packages.js';

export const updatesInstalled: SweepCheck = {
  id: 'IR-UPD-001',
  title: 'unattended-upgrades is installed',
  area: 'updates',
  severity: 'high',
  expected: 'package unattended-upgrades installed',
  remediation: 'apt-get install unattended-upgrades',
  source: 'Hardening guide §4 Automatic Security Updates; Setup guide checklist "System updates automated"',
  lynis: 'PKGS-7420',
  reads: ['/var/lib/dpkg/status'],
  async run(ctx) {
    const pkgs = await dpkgInstalled(ctx);
    if (!pkgs) return na('not a dpkg system (no /var/lib/dpkg/status); dnf-automatic and others are not judged', '/var/lib/dpkg/status');
    const ok = pkgs.has('unattended-upgrades');
    return verdict(ok, ok ? 'installed' : 'not installed', '/var/lib/dpkg/status');
  },
};
