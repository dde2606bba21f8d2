import { na, verdict, type SweepCheck } from '../check.js';
import { shadowEntries } from '../facts/shadow.js';

export const accountsWeakHash: SweepCheck = {
  id: 'IR-ACC-002',
  title: 'No password is hashed with DES or MD5',
  area: 'accounts',
  severity: 'high',
  expected: 'yescrypt, SHA-512, SHA-256 or bcrypt hashes only',
  remediation: 'Set ENCRYPT_METHOD YESCRYPT (or SHA512) in /etc/login.defs and have the user change the password.',
  source: 'Setup guide checklist "Strong passwords set for all accounts"',
  lynis: 'AUTH-9229',
  reads: ['/etc/shadow'],
  async run(ctx) {
    const s = await shadowEntries(ctx);
    if (!s) return na('/etc/shadow is missing', '/etc/shadow');
    const bad = s.filter((e) => ['des', 'bsdi-des', 'md5'].includes(e.kind));
    return verdict(bad.length === 0, bad.length ? bad.map((e) => `${e.name} (${e.kind})`).join(', ') : 'no DES or MD5 hash', bad.length ? `/etc/shadow line ${bad[0]!.line}` : '/etc/shadow', bad.length ? { path: '/etc/shadow', line: bad[0]!.line } : {});
  },
};
