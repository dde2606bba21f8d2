import { sshSettingCheck } from './ssh-setting.js';

export const sshPasswordAuthentication = sshSettingCheck({
  id: 'IR-SSH-002',
  keyword: 'passwordauthentication',
  title: 'SSH password authentication is off',
  severity: 'high',
  expected: (p) => `passwordauthentication ${p.ssh.passwordAuthentication ? 'yes' : 'no'}`,
  ok: (v, p) => v.toLowerCase() === (p.ssh.passwordAuthentication ? 'yes' : 'no') || v.toLowerCase() === 'no',
  remediation: 'Set "PasswordAuthentication no" (keys only), check every Match block, then reload sshd.',
});
