import { listOrEmpty } from '../../host/target.js';
import { na, verdict, type SweepCheck } from '../check.js';
import type { SweepContext } from '../context.js';
import { dpkgInstalled } from '../facts/packages.js';

/** The last assignment wins, in the lexical order apt reads apt.conf.d. */
export async function aptPeriodic(ctx: SweepContext, key: string): Promise<{ value: string; path: string; line: number } | null> {
  const dir = '/etc/apt/apt.conf.d';
  const files = (await listOrEmpty(ctx.target, dir)).filter((e) => e.stat.type === 'file' || e.stat.type === 'symlink').map((e) => e.path).sort();
  let found: { value: string; path: string; line: number } | null = null;
  const re = new RegExp(`^\\s*APT::Periodic::${key.replace(/-/g, '\\-')}\\s+"([^"]*)"\\s*;`, 'i');
  for (const f of [...files, '/etc/apt/apt.conf']) {
    const text = await ctx.read(f).catch(() => null);
    text?.split('\n').forEach((l, i) => {
      const m = re.exec(l);
      if (m) found = { value: m[1]!, path: f, line: i + 1 };
    });
  }
  return found;
}

export const updatesEnabled: SweepCheck = {
  id: 'IR-UPD-002',
  title: 'Automatic security updates are enabled (20auto-upgrades)',
  area: 'updates',
  severity: 'high',
  expected: 'APT::Periodic::Update-Package-Lists "1" and APT::Periodic::Unattended-Upgrade "1"',
  remediation: 'dpkg-reconfigure -plow unattended-upgrades (writes /etc/apt/apt.conf.d/20auto-upgrades).',
  source: 'Hardening guide §4 Automatic Security Updates; Setup guide checklist "System updates automated"',
  lynis: 'PKGS-7420',
  reads: ['/etc/apt/apt.conf.d/*', '/etc/apt/apt.conf', '/var/lib/dpkg/status'],
  async run(ctx) {
    const pkgs = await dpkgInstalled(ctx);
    if (!pkgs) return na('not a dpkg system (no /var/lib/dpkg/status)', '/var/lib/dpkg/status');
    const lists = await aptPeriodic(ctx, 'Update-Package-Lists');
    const upgrade = await aptPeriodic(ctx, 'Unattended-Upgrade');
    const on = (v: typeof lists) => v !== null && v.value !== '0' && v.value !== '';
    const where = upgrade ?? lists;
    return verdict(on(lists) && on(upgrade), `Update-Package-Lists ${lists ? `"${lists.value}"` : 'unset'}, Unattended-Upgrade ${upgrade ? `"${upgrade.value}"` : 'unset'}`, where ? `${where.path} line ${where.line}` : '/etc/apt/apt.conf.d/20auto-upgrades (missing)', where ? { path: where.path, line: where.line } : {});
  },
};
