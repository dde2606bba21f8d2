import { sshd } from '../../src/scan/detectors/sshd.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('sshd detector (doors left open in sshd_config)', () => {
  it('benign: a stock config with an sftp-only Match block says nothing', async () => {
    const res = await runOn(sshd, `${PERSIST}/sshd/benign`);
    expect(res.findings).toEqual([]);
    expect(res.errors).toEqual([]);
  });

  it('malicious: every door with its file and line, ATT&CK id and remediation', async () => {
    const res = await runOn(sshd, `${PERSIST}/sshd/malicious`);
    const by = (rule: string) => res.findings.find((f) => f.rule === `sshd.${rule}`);
    const conf = '/etc/ssh/sshd_config.d/50-cloud-init.conf';
    // root has a password and a Match block takes passwords from one network: the sweep's IR-SSH-001 is named
    expect(by('permit-root-login')).toMatchObject({ severity: 'high', path: conf, line: 1, attack: 'T1021.004', details: { sweepCheck: 'IR-SSH-001' } });
    expect(by('permit-root-login')!.title).toMatch(/IR-SSH-001/);
    expect(by('authorized-keys-file')).toMatchObject({ severity: 'high', path: conf, line: 3, attack: 'T1098.004' });
    expect(by('authorized-keys-command')).toMatchObject({ severity: 'high', line: 4, attack: 'T1556' });
    expect(by('trusted-user-ca')).toMatchObject({ severity: 'high', line: 6 });
    expect(by('match-grants')).toMatchObject({ severity: 'high', line: 8, evidence: expect.stringMatching(/PermitEmptyPasswords yes/) });
    expect(by('permit-user-environment')).toMatchObject({ severity: 'medium', line: 7 });
    expect(res.findings.find((f) => f.path === '/home/deploy/.ssh/environment')).toMatchObject({ rule: 'sshd.user-environment', severity: 'high', attack: 'T1574.006' });
    expect(res.findings.find((f) => f.path === '/root/.ssh/rc')).toMatchObject({ severity: 'critical', rule: 'sshd.fetch-exec' });
    expect(res.findings.find((f) => f.path === '/etc/ssh/sshrc')?.severity).toBe('critical');
    expect(res.findings.every((f) => f.attack && (f.severity === 'info' || f.remediation))).toBe(true);
  });

  it('an ~/.ssh/rc with nothing suspicious is still medium: sshd runs it at every login', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { tempCopy } = await import('../helpers/persist.js');
    const { root, cleanup } = tempCopy(`${PERSIST}/sshd/benign`);
    try {
      mkdirSync(`${root}/home/deploy/.ssh`, { recursive: true });
      writeFileSync(`${root}/home/deploy/.ssh/rc`, 'xauth add "$DISPLAY" . "$(cat)"\n');
      const res = await runOn(sshd, root);
      expect(res.findings.map((f) => [f.path, f.severity, f.rule])).toEqual([['/home/deploy/.ssh/rc', 'medium', 'sshd.present']]);
      expect(atLeast(res, 'high')).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('a line sshd would refuse is an error (the doors behind it were not judged), with its file and line', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { tempCopy } = await import('../helpers/persist.js');
    const { root, cleanup } = tempCopy(`${PERSIST}/sshd/benign`);
    try {
      mkdirSync(`${root}/etc/ssh/sshd_config.d`, { recursive: true });
      writeFileSync(`${root}/etc/ssh/sshd_config.d/00-typo.conf`, 'PermitRootLogin yess\n');
      const res = await runOn(sshd, root);
      expect(res.errors).toEqual([{ detector: 'sshd', path: '/etc/ssh/sshd_config.d/00-typo.conf', message: 'line 1: unsupported value "yess" for PermitRootLogin' }]);
    } finally {
      cleanup();
    }
  });
});
