import { parseSudoers, privilege } from '../../src/scan/detectors/privilege.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { writeFileSync, rmSync } from 'node:fs';
import { PERSIST, atLeast, runOn, tempCopy } from '../helpers/persist.js';

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

  it('benign: no recent password change and no new account', async () => {
    const res = await runOn(privilege, `${PERSIST}/privilege/benign`);
    expect(res.findings.filter((f) => /root-password-changed|new-login-account|corrupt-line/.test(f.rule))).toEqual([]);
  });

  it('a corrupt passwd line is a low finding and a warning, never a UID 0 account', async () => {
    const res = await runOn(privilege, `${PERSIST}/privilege/malicious`);
    const corrupt = res.findings.filter((f) => f.rule === 'privilege.corrupt-line');
    expect(corrupt).toEqual([expect.objectContaining({ severity: 'low', title: 'corrupt /etc/passwd line 9', path: '/etc/passwd', line: 9, evidence: '::::::' })]);
    expect(res.warnings).toContainEqual(expect.objectContaining({ path: '/etc/passwd', message: expect.stringMatching(/corrupt line 9 \(empty account name\)/) }));
    expect(res.findings.filter((f) => f.rule === 'privilege.uid0').map((f) => f.user)).toEqual(['toor']);
  });

  it('root\'s password changed two days before the capture, and a login account created then, are medium (measured from the logs, not today)', async () => {
    const res = await runOn(privilege, `${PERSIST}/privilege/malicious`);
    expect(res.findings.find((f) => f.rule === 'privilege.root-password-changed' && f.user === 'root')).toMatchObject({
      severity: 'medium',
      path: '/etc/shadow',
      attack: 'T1098',
      details: { lastChange: '2025-11-26', capture: '2025-11-28T18:00:01.000Z', captureSource: 'last line of /var/log/kern.log' },
    });
    expect(res.findings.find((f) => f.rule === 'privilege.new-login-account')).toMatchObject({ severity: 'medium', user: 'maint', attack: 'T1136.001' });
  });

  it('findings never point at a file that was not read: no /etc/shadow, an empty passwd field is reported in /etc/passwd', async () => {
    const { root, cleanup } = tempCopy(`${PERSIST}/privilege/benign`);
    try {
      rmSync(`${root}/etc/shadow`);
      writeFileSync(`${root}/etc/passwd`, 'root:x:0:0:root:/root:/bin/bash\nguest::1001:1001::/home/guest:/bin/bash\n::::::\n');
      const res = await runOn(privilege, root);
      expect(res.findings.filter((f) => f.path === '/etc/shadow')).toEqual([]);
      expect(res.findings.find((f) => f.rule === 'privilege.empty-password')).toMatchObject({ user: 'guest', path: '/etc/passwd', line: 2, severity: 'critical' });
      expect(res.findings.filter((f) => f.rule === 'privilege.uid0')).toEqual([]);
      expect(res.errors).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
