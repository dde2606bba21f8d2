import { sshSettingCheck } from './ssh-setting.js';

/** keyboard-interactive is password login by another name when PAM asks for the password */
export const sshKbdInteractive = sshSettingCheck({
  id: 'IR-SSH-004',
  keyword: 'kbdinteractiveauthentication',
  title: 'SSH keyboard-interactive authentication is off',
  severity: 'high',
  expected: () => 'kbdinteractiveauthentication no',
  ok: (v) => v.toLowerCase() === 'no',
  remediation: 'Set "KbdInteractiveAuthentication no" (ChallengeResponseAuthentication before OpenSSH 8.7), then reload sshd.',
});
