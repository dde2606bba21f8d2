import { authorizedKeys } from '../../src/scan/detectors/authorized-keys.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('authorized-keys detector: keys in files a changed AuthorizedKeysFile names', () => {
  it('benign: a backup key limited to a forced rsync stays low, an ordinary key is inventory', async () => {
    const res = await runOn(authorizedKeys, `${PERSIST}/authorized-keys/benign`);
    expect(atLeast(res, 'medium')).toEqual([]);
    expect(res.findings.find((f) => f.path === '/etc/ssh/keys/backup')).toMatchObject({ severity: 'low', details: { template: '/etc/ssh/keys/%u' } });
    expect(res.findings.find((f) => f.path === '/home/deploy/.ssh/authorized_keys')?.severity).toBe('info');
  });

  it('malicious: keys in /etc/ssh/authorized/%u are at least medium; a forced /bin/bash is no restriction', async () => {
    const res = await runOn(authorizedKeys, `${PERSIST}/authorized-keys/malicious`);
    expect(res.findings.find((f) => f.path === '/etc/ssh/authorized/deploy')).toMatchObject({ severity: 'medium', attack: 'T1098.004', reason: expect.stringMatching(/changed AuthorizedKeysFile/) });
    expect(res.findings.find((f) => f.path === '/etc/ssh/authorized/www-data')).toMatchObject({ severity: 'high', user: 'www-data' });
    expect(atLeast(res, 'medium').every((f) => f.remediation)).toBe(true);
  });
});
