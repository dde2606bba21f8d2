import type { HomeItem, PathItem } from '../item.js';

export const sshConfig: PathItem = {
  id: 'config.ssh',
  title: 'OpenSSH server and client configuration, host keys (public), moduli',
  kind: 'paths',
  paths: ['/etc/ssh'],
};

export const firewallConfig: PathItem = {
  id: 'config.firewall',
  title: 'fail2ban and ufw configuration, iptables/nftables rule files',
  kind: 'paths',
  paths: ['/etc/fail2ban', '/etc/ufw', '/etc/default/ufw', '/etc/iptables', '/etc/nftables.conf'],
};

/** Cron everywhere: the system tables, the run-parts directories, every user's spool, at jobs. */
export const cron: PathItem = {
  id: 'config.cron',
  title: 'cron and at: /etc/crontab, /etc/cron.*, anacrontab, user crontabs, at spool',
  kind: 'paths',
  paths: ['/etc/crontab', '/etc/cron.d', '/etc/cron.hourly', '/etc/cron.daily', '/etc/cron.weekly', '/etc/cron.monthly', '/etc/anacrontab', '/etc/cron.allow', '/etc/cron.deny', '/var/spool/cron', '/var/spool/anacron', '/var/spool/at', '/var/spool/atjobs', '/etc/at.allow', '/etc/at.deny'],
};

export const systemdUnits: PathItem = {
  id: 'config.systemd',
  title: 'systemd units, drop-ins, timers and generators the administrator (or an attacker) added',
  kind: 'paths',
  paths: ['/etc/systemd', '/run/systemd/system', '/usr/local/lib/systemd', '/etc/init.d', '/etc/rc.local'],
};

export const vendorUnits: PathItem = {
  id: 'config.systemd-vendor',
  title: 'systemd units shipped by packages (to diff against the package database)',
  kind: 'paths',
  paths: ['/lib/systemd/system', '/usr/lib/systemd/system'],
};

export const accounts: PathItem = {
  id: 'config.accounts',
  title: 'Accounts, groups, sudoers, PAM, login defaults, shell start-up files',
  kind: 'paths',
  paths: ['/etc/passwd', '/etc/group', '/etc/sudoers', '/etc/sudoers.d', '/etc/pam.d', '/etc/security', '/etc/login.defs', '/etc/profile', '/etc/profile.d', '/etc/bash.bashrc', '/etc/environment', '/etc/shells'],
};

export const shadow: PathItem = {
  id: 'config.shadow',
  title: 'Password hashes (only with --include-shadow)',
  kind: 'paths',
  paths: ['/etc/shadow', '/etc/gshadow'],
  needs: 'shadow',
};

export const system: PathItem = {
  id: 'config.system',
  title: 'Host identity, name resolution, dynamic linker preload, kernel module and sysctl settings, Docker daemon.json, web server configuration',
  kind: 'paths',
  paths: ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/etc/os-release', '/etc/machine-id', '/etc/timezone', '/etc/fstab', '/etc/ld.so.preload', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/modules', '/etc/modprobe.d', '/etc/sysctl.conf', '/etc/sysctl.d', '/etc/docker/daemon.json', '/etc/nginx', '/etc/apache2', '/etc/postgresql'],
};

export const wholeEtc: PathItem = {
  id: 'config.etc',
  title: 'All of /etc',
  kind: 'paths',
  paths: ['/etc'],
};

/** Per-user persistence and traces: keys, histories, start-up files, user units. */
export const userFiles: HomeItem = {
  id: 'users.home',
  title: "Every account's authorized_keys, ssh config, shell and tool histories, start-up files, user systemd units and crontab-like autostarts",
  kind: 'home',
  relPaths: [
    '.ssh/authorized_keys',
    '.ssh/authorized_keys2',
    '.ssh/config',
    '.ssh/known_hosts',
    '.ssh/rc',
    '.bash_history',
    '.zsh_history',
    '.ash_history',
    '.sh_history',
    '.history',
    '.python_history',
    '.mysql_history',
    '.psql_history',
    '.lesshst',
    '.viminfo',
    '.wget-hsts',
    '.bashrc',
    '.bash_profile',
    '.bash_login',
    '.bash_logout',
    '.profile',
    '.zshrc',
    '.config/systemd/user',
    '.config/autostart',
    '.docker/config.json',
  ],
};

export const dropZones: PathItem = {
  id: 'files.drop-zones',
  title: 'World-writable drop zones and locally installed programs (where attackers stage tools)',
  kind: 'paths',
  paths: ['/tmp', '/var/tmp', '/dev/shm', '/usr/local/bin', '/usr/local/sbin', '/opt'],
};
