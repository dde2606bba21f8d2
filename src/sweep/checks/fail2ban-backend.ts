import { fail, pass, type SweepCheck } from '../check.js';
import { F2B_SOURCE, SSHD_JAIL, withFail2ban } from './fail2ban-common.js';

/**
 * Debian 12 and Ubuntu 24.04 log sshd to the journal only: a jail on /var/log/auth.log (backend auto)
 * never sees a failure, and fail2ban refuses to start it. The backend must fit what the host has.
 */
export const fail2banBackend: SweepCheck = {
  id: 'IR-F2B-008',
  title: 'fail2ban sshd backend fits the host (journal or auth.log)',
  area: 'fail2ban',
  severity: 'high',
  expected: 'backend = systemd with a journal, or a log file backend whose logpath exists',
  remediation: 'With journald only: [sshd] backend = systemd. With rsyslog: keep backend = auto and logpath = /var/log/auth.log.',
  source: F2B_SOURCE,
  reads: ['/etc/fail2ban/jail.* (backend, logpath)', 'fail2ban-client get sshd logpath', '/var/log/journal', '/run/log/journal', '/usr/bin/fail2ban-client /etc/fail2ban/*.conf /etc/fail2ban/*.local /etc/fail2ban/jail.d/* (jail.conf, its includes, jail.local)'],
  run: (ctx) =>
    withFail2ban(ctx, async (f) => {
      const b = await f.get(SSHD_JAIL, 'backend');
      const backend = (b?.value || 'auto').split(/\s|\[/)[0]!.toLowerCase();
      const extra = { path: b?.path, line: b?.line };
      if (backend === 'systemd') {
        for (const j of ['/var/log/journal', '/run/log/journal']) {
          if ((await ctx.target.stat(j).catch(() => null))?.type === 'dir') return pass(`backend = systemd, journal at ${j}`, b?.evidence ?? '', extra);
        }
        return fail('backend = systemd but the host has no journal (/var/log/journal, /run/log/journal)', b?.evidence ?? '', extra);
      }
      const lp = await f.get(SSHD_JAIL, 'logpath');
      const paths = (lp?.value ?? '').split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter((p) => p.startsWith('/'));
      if (paths.length === 0) return fail(`backend = ${backend} without a logpath`, b?.evidence ?? lp?.evidence ?? f.files.join(', '), extra);
      const present: string[] = [];
      for (const p of paths) if (/[*?]/.test(p) || (await ctx.target.stat(p).catch(() => null))?.type === 'file') present.push(p);
      const evidence = [b?.evidence, lp?.evidence].filter(Boolean).join('; ');
      if (present.length === 0) return fail(`backend = ${backend}, logpath ${paths.join(', ')} does not exist`, evidence, extra);
      return pass(`backend = ${backend}, logpath ${present.join(', ')}`, evidence, extra);
    }),
};
