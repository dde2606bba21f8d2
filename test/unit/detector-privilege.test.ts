import { parseSudoers, privilege } from '../../src/scan/detectors/privilege.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('privilege detector', () => {
  it('parses sudoers rules, tags and includes', () => {
    const p = parseSudoers('Defaults env_reset\n%ops ALL=(ALL:ALL) NOPASSWD: /usr/bin/systemctl restart app, /usr/bin/vim\n@includedir /etc/sudoers.d\n');
    expect(p.includes).toEqual(['dir:/etc/sudoers.d']);
    expect(p.rules[0]).toMatchObject({ who: '%ops', nopasswd: true, commands: ['/usr/bin/systemctl restart app', '/usr/bin/vim'] });
  });

  it('benign: stock sudoers and one login account are not above low', async () => {
    const res = await runOn(privilege, `${PERSIST}/privilege/benign`);
    expect(atLeast(res, 'medium')).toEqual([]);
    expect(res.findings.some((f) => f.path === '/etc/sudoers')).toBe(false);
  });

  it('malicious: NOPASSWD ALL, !authenticate, vim escape, second UID 0, empty password, system account with password', async () => {
    const res = await runOn(privilege, `${PERSIST}/privilege/malicious`);
    const rules = atLeast(res, 'high').map((f) => `${f.rule} ${f.user ?? ''}`);
    expect(rules).toEqual(
      expect.arrayContaining([
        'privilege.sudo-nopasswd-all backup',
        'privilege.sudo-no-authenticate ',
        'privilege.sudo-shell-escape deploy',
        'privilege.uid0 toor',
        'privilege.empty-password svc',
        'privilege.login-account backup',
      ]),
    );
  });

  it('an account the policy expects is lowered, not hidden', async () => {
    const res = await runOn(privilege, `${PERSIST}/privilege/malicious`, { policy: { ...defaultPolicy(), expectedAccounts: ['backup'] } });
    expect(res.findings.find((f) => f.rule === 'privilege.sudo-nopasswd-all')?.severity).toBe('medium');
  });
});
