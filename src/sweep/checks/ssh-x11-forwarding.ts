import { sshSettingCheck } from './ssh-setting.js';

export const sshX11Forwarding = sshSettingCheck({
  id: 'IR-SSH-006',
  keyword: 'x11forwarding',
  title: 'SSH X11 forwarding is off',
  severity: 'low',
  expected: () => 'x11forwarding no',
  ok: (v) => v.toLowerCase() === 'no',
  remediation: 'Set "X11Forwarding no" (a server has no display to forward), then reload sshd.',
});
