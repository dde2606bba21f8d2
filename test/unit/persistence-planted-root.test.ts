import { ImageHost } from '../../src/host/image.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { runScan } from '../../src/scan/engine.js';
import { severityRank, type Finding } from '../../src/core/finding.js';
import { DETECTORS } from '../../src/scan/registry.js';
import { PERSIST, withModes } from '../helpers/persist.js';

/**
 * The "Done when": one planted item per detector plus the benign content named under severity;
 * every planted item at high or above, no benign item at high or above.
 */
const PLANTED: [string, string][] = [
  ['systemd', '/etc/systemd/system/dbus-broker-helper.service'],
  ['systemd', '/etc/systemd/system/ssh.service.d/override.conf'],
  ['systemd', '/etc/systemd/system/apt-refresh.service'],
  ['systemd', '/home/deploy/.config/systemd/user/sync.service'],
  ['systemd', '/usr/lib/systemd/system-generators/net-fixup'],
  ['at-jobs', '/var/spool/cron/atjobs/a0000201c3d4e5'],
  ['ld-preload', '/etc/ld.so.preload'],
  ['ld-preload', '/etc/profile.d/proxy.sh'],
  ['boot-scripts', '/etc/rc.local'],
  ['boot-scripts', '/etc/init.d/network-helper'],
  ['shell-startup', '/etc/profile.d/locale-fix.sh'],
  ['shell-startup', '/home/deploy/.bash_aliases'],
  ['shell-startup', '/root/.profile'],
  ['privilege', '/etc/sudoers.d/90-cloud-backup'],
  ['privilege', '/etc/passwd'],
  ['privilege', '/etc/shadow'],
  ['pam', '/etc/pam.d/sshd'],
  ['pam', '/etc/pam.d/common-session'],
  ['pam', '/etc/pam.d/common-auth'],
  ['udev', '/etc/udev/rules.d/75-net-helper.rules'],
  ['motd', '/etc/update-motd.d/30-sysinfo'],
  ['xdg-autostart', '/etc/xdg/autostart/gnome-keyring-helper.desktop'],
  ['xdg-autostart', '/home/deploy/.config/autostart/update.desktop'],
  ['kernel-modules', '/etc/modules-load.d/net.conf'],
  ['kernel-modules', '/etc/modprobe.d/usb.conf'],
  ['apt-hooks', '/etc/apt/apt.conf.d/99-update-notify'],
  ['nm-dispatcher', '/etc/NetworkManager/dispatcher.d/99-tun'],
  ['polkit', '/etc/polkit-1/rules.d/00-allow.rules'],
  ['polkit', '/etc/polkit-1/localauthority/50-local.d/allow.pkla'],
  ['suid', '/tmp/.x/bash'],
  ['suid', '/home/deploy/.cache/helper'],
  ['suid', '/usr/local/bin/sysmon'],
  ['suid', '/usr/bin/cat'],
  ['suid', '/usr/bin/python3.11'],
  ['suid', '/usr/sbin/logrotate'],
  ['sshd', '/etc/ssh/sshd_config.d/50-cloud-init.conf'],
  ['sshd', '/home/deploy/.ssh/environment'],
  ['sshd', '/root/.ssh/rc'],
  ['sshd', '/etc/ssh/sshrc'],
  ['authorized-keys', '/etc/ssh/authorized/www-data'],
  ['webshell', '/var/www/html/wp-content/uploads/2024/cache.php'],
  ['webshell', '/var/www/html/.config.php'],
  ['webshell', '/srv/app/public/upload/shell.jsp'],
  ['webshell', '/srv/app/public/cgi-bin/diag.py'],
  ['anti-forensics', '/root/.bash_history'],
  ['anti-forensics', '/etc/profile.d/z-hist.sh'],
  ['anti-forensics', '/var/log/wtmp'],
  ['package-integrity', '/usr/bin/ls'],
  ['package-integrity', '/usr/lib/x86_64-linux-gnu/security/pam_unix.so'],
  ['package-integrity', '/usr/bin/kworkerd'],
  // second ring (issue 19)
  ['dbus', '/usr/lib/nethelper/nethelperd'],
  ['dbus', '/etc/dbus-1/system.d/org.example.Agent.conf'],
  ['grub', '/etc/default/grub.d/99-console.cfg'],
  ['grub', '/usr/local/sbin/init-wrapper'],
  ['grub', '/etc/grub.d/06_update'],
  ['initramfs', '/etc/initramfs-tools/scripts/init-bottom/net-tune'],
  ['initramfs', '/usr/lib/dracut/modules.d/99netcfg/netcfg.sh'],
  ['packages', '/var/lib/dpkg/info/sysupdate.postinst'],
  ['cron', '/etc/cron.d/sysupdate'],
  ['git', '/srv/git/site.git/hooks/post-receive'],
  ['git', '/home/deploy/.gitconfig'],
  ['git', '/etc/gitconfig'],
  ['webshell', '/usr/lib/cgi-bin/status.cgi'],
  ['webshell', '/var/www/html/cgi-bin/ping'],
  ['xdg-autostart', '/usr/local/bin/print-applet'],
];
/** Planted items that are medium by design offline: a program in /tmp is critical only when it runs, a local .deb is medium. */
const PLANTED_MEDIUM: [string, string][] = [
  ['tmp-executables', '/dev/shm/.x/kworker'],
  ['tmp-executables', '/var/tmp/.cache/upd'],
  ['packages', '/var/log/dpkg.log'],
];
/** The benign content the issue names, plus each detector's benign fixture. */
const BENIGN = [
  '/etc/cron.d/e2scrub_all',
  '/etc/cron.daily/logrotate',
  '/etc/logrotate.conf',
  '/usr/lib/systemd/system/logrotate.service',
  '/usr/lib/systemd/system/logrotate.timer',
  '/etc/systemd/system/gunicorn.service',
  '/etc/profile.d/bash_completion.sh',
  '/etc/profile',
  '/etc/bash.bashrc',
  '/home/deploy/.bashrc',
  '/home/deploy/.bash_logout',
  '/etc/sudoers',
  '/etc/pam.d/common-password',
  '/etc/init.d/cron',
  '/etc/update-motd.d/10-uname',
  '/etc/NetworkManager/dispatcher.d/01-ifupdown',
  '/usr/share/polkit-1/rules.d/50-default.rules',
  '/etc/xdg/autostart/at-spi-dbus-bus.desktop',
  '/etc/modprobe.d/blacklist.conf',
  '/etc/apt/apt.conf.d/99update-notifier',
  '/etc/apt/apt.conf.d/docker-clean',
  '/var/www/html/index.php',
  '/var/www/html/status.php',
  '/usr/bin/sudo',
  '/usr/bin/passwd',
  '/var/log/syslog',
  '/etc/ssh/sshd_config',
  '/etc/ssh/sshd_config.d/10-sftp.conf',
  '/usr/share/dbus-1/system-services/org.freedesktop.hostname1.service',
  '/usr/share/dbus-1/system.d/org.freedesktop.hostname1.conf',
  '/etc/default/grub',
  '/etc/default/grub.d/50-cloudimg-settings.cfg',
  '/etc/grub.d/00_header',
  '/usr/share/initramfs-tools/hooks/fsck',
  '/etc/initramfs-tools/initramfs.conf',
  '/var/lib/dpkg/info/cron.postinst',
  '/srv/git/app.git/hooks/post-receive',
  '/usr/lib/cgi-bin/hello.py',
  '/var/tmp/notes.txt',
];

describe('planted root: every detector at once, offline, --deep', () => {
  let findings: Finding[];
  let cleanup: () => void;
  beforeAll(async () => {
    const copy = withModes(`${PERSIST}/planted-root`);
    cleanup = copy.cleanup;
    const report = await runScan(await ImageHost.open(copy.root), defaultPolicy(), { deep: true });
    findings = report.findings;
    expect(report.detectors.filter((d) => d.error)).toEqual([]);
    expect(report.errors).toEqual([]);
  });
  afterAll(() => cleanup());

  const high = () => findings.filter((f) => severityRank(f.severity) >= severityRank('high'));

  it.each(PLANTED)('%s finds %s at high or above', (detector, path) => {
    expect(high().filter((f) => f.detector === detector && f.path === path).length).toBeGreaterThan(0);
  });

  it.each(PLANTED_MEDIUM)('%s finds %s at medium or above', (detector, path) => {
    expect(findings.filter((f) => f.detector === detector && f.path === path && severityRank(f.severity) >= severityRank('medium')).length).toBeGreaterThan(0);
  });

  it('the containers detector finds both planted containers at high or above', () => {
    expect(high().filter((f) => f.detector === 'containers').map((f) => f.details?.service).sort()).toEqual(['agent', 'ops']);
  });

  it('no benign item comes out at high or above', () => {
    const bad = high().filter((f) => BENIGN.includes(f.path ?? '') && !(f.detector === 'privilege' && f.path === '/etc/passwd'));
    expect(bad.map((f) => `${f.rule} ${f.path}`)).toEqual([]);
    expect(high().filter((f) => f.details?.service === 'web')).toEqual([]);
  });

  it('every detector of the persistence map is covered by a planted item', () => {
    const covered = new Set([...PLANTED.map(([d]) => d), ...PLANTED_MEDIUM.map(([d]) => d), 'containers']);
    const mine = DETECTORS.map((d) => d.id).filter((id) => !['cron', 'authorized-keys', 'processes', 'ports'].includes(id));
    expect(mine.filter((id) => !covered.has(id))).toEqual([]);
  });
});
