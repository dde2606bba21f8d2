import { packageIntegrity } from '../../src/scan/detectors/package-integrity.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('package-integrity detector (--deep, offline)', () => {
  it('benign: pristine binaries say nothing; an edited logrotate.conf is an info conffile change', async () => {
    const res = await runOn(packageIntegrity, `${PERSIST}/package-integrity/benign`);
    expect(res.findings.map((f) => [f.rule, f.path, f.severity])).toEqual([['package-integrity.conffile-changed', '/etc/logrotate.conf', 'info']]);
    expect(res.examined).toBeGreaterThan(10);
  });

  it('malicious: a trojaned /bin/ls and pam_unix.so are critical, an unowned binary in /usr/bin is flagged', async () => {
    const res = await runOn(packageIntegrity, `${PERSIST}/package-integrity/malicious`);
    expect(atLeast(res, 'critical').map((f) => f.path).sort()).toEqual(['/usr/bin/ls', '/usr/lib/x86_64-linux-gnu/security/pam_unix.so']);
    expect(res.findings.find((f) => f.path === '/usr/bin/kworkerd')).toMatchObject({ rule: 'package-integrity.unowned', severity: 'high' });
  });
});
