import { sshSettingCheck } from './ssh-setting.js';

export const sshMaxAuthTries = sshSettingCheck({
  id: 'IR-SSH-005',
  keyword: 'maxauthtries',
  title: 'SSH MaxAuthTries is low',
  severity: 'low',
  expected: (p) => `maxauthtries ≤ ${p.ssh.maxAuthTries}`,
  ok: (v, p) => Number(v) <= p.ssh.maxAuthTries,
  remediation: 'Set "MaxAuthTries 3" (policy ssh.maxAuthTries), then reload sshd.',
});
