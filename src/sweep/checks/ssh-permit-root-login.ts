import { sshSettingCheck } from './ssh-setting.js';

export const sshPermitRootLogin = sshSettingCheck({
  id: 'IR-SSH-001',
  keyword: 'permitrootlogin',
  title: 'Root cannot log in over SSH',
  severity: 'high',
  expected: (p) => `permitrootlogin ${p.ssh.permitRootLogin}`,
  ok: (v, p) => v.toLowerCase() === p.ssh.permitRootLogin.toLowerCase() || (p.ssh.permitRootLogin === 'prohibit-password' && /^(no|without-password|prohibit-password)$/i.test(v)),
  remediation: 'Set "PermitRootLogin no" in /etc/ssh/sshd_config (and in every Match block), then `sshd -t && systemctl reload ssh`.',
});
