import { sshSettingCheck } from './ssh-setting.js';

export const sshPubkeyAuthentication = sshSettingCheck({
  id: 'IR-SSH-003',
  keyword: 'pubkeyauthentication',
  title: 'SSH public key authentication is on',
  severity: 'medium',
  expected: () => 'pubkeyauthentication yes',
  ok: (v) => v.toLowerCase() === 'yes',
  remediation: 'Set "PubkeyAuthentication yes" so that key-only login keeps working, then reload sshd.',
});
