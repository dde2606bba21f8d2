import { na, verdict, type SweepCheck } from '../check.js';
import { shadowEntries } from '../facts/shadow.js';

export const accountsEmptyPassword: SweepCheck = {
  id: 'IR-ACC-001',
  title: 'No account has an empty password',
  area: 'accounts',
  severity: 'critical',
  expected: 'every /etc/shadow password field set or locked (! or *)',
  remediation: 'passwd -l USER (or set a strong password); check how the account got an empty one.',
  source: 'Setup guide §1 System User Creation, checklist "Strong passwords set for all accounts"',
  lynis: 'AUTH-9283',
  reads: ['/etc/shadow'],
  async run(ctx) {
    const s = await shadowEntries(ctx);
    if (!s) return na('/etc/shadow is missing', '/etc/shadow');
    const bad = s.filter((e) => e.kind === 'empty');
    return verdict(bad.length === 0, bad.length ? `empty: ${bad.map((e) => e.name).join(', ')}` : `${s.length} accounts, none empty`, bad.length ? `/etc/shadow line ${bad[0]!.line}` : '/etc/shadow', bad.length ? { path: '/etc/shadow', line: bad[0]!.line } : {});
  },
};
