/**
 * The ids of the registry's detectors, in its order, for persistence-scan's help and `--only` at
 * start-up without loading every detector. test/integration/startup.test.ts checks it equals DETECTORS.
 */
export const DETECTOR_IDS = [
  'cron', 'authorized-keys', 'processes', 'ports', 'systemd', 'privilege', 'shell-startup', 'ld-preload', 'suid', 'webshell', 'pam', 'anti-forensics',
  'containers', 'at-jobs', 'boot-scripts', 'motd', 'nm-dispatcher', 'udev', 'xdg-autostart', 'kernel-modules', 'apt-hooks', 'polkit', 'package-integrity',
  'sshd',
  'dbus', 'grub', 'initramfs', 'packages', 'git', 'tmp-executables',
] as const;
