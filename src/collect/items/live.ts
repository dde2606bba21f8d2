import type { CommandItem, KernelFileItem } from '../item.js';

const cmd = (id: string, title: string, argv: string[], out: string, optional = false): CommandItem => ({ id: `live.${id}`, title, kind: 'command', argv, out, optional });

/** Volatile state, gone after a reboot or isolation: each command's output is one file with its argv, times and exit code. */
export const liveCommands: CommandItem[] = [
  cmd('date', 'Clock of the host (compare with the collector UTC times)', ['date', '-u', '+%Y-%m-%dT%H:%M:%SZ'], 'date.txt'),
  cmd('uname', 'Kernel and architecture', ['uname', '-a'], 'uname.txt'),
  cmd('uptime', 'Uptime and load', ['uptime'], 'uptime.txt'),
  cmd('ps', 'Processes with parents, users, start times, full command lines', ['ps', '-eo', 'pid,ppid,uid,user,lstart,etime,stat,comm,args', '-ww'], 'ps.txt'),
  cmd('ss-listen', 'Listening sockets with processes', ['ss', '-tulpen'], 'ss-tulpen.txt'),
  cmd('ss-all', 'All TCP and UDP sockets with processes', ['ss', '-tuapn'], 'ss-tuapn.txt'),
  cmd('ip-addr', 'Interfaces and addresses', ['ip', 'addr'], 'ip-addr.txt'),
  cmd('ip-route', 'Routes', ['ip', 'route'], 'ip-route.txt'),
  cmd('ip-neigh', 'ARP / neighbour table', ['ip', 'neigh'], 'ip-neigh.txt'),
  cmd('iptables', 'iptables rules', ['iptables-save'], 'iptables-save.txt', true),
  cmd('ip6tables', 'ip6tables rules', ['ip6tables-save'], 'ip6tables-save.txt', true),
  cmd('nft', 'nftables ruleset', ['nft', 'list', 'ruleset'], 'nft-ruleset.txt', true),
  cmd('ufw', 'ufw status', ['ufw', 'status', 'verbose'], 'ufw-status.txt', true),
  cmd('fail2ban', 'fail2ban jails', ['fail2ban-client', 'status'], 'fail2ban-status.txt', true),
  cmd('who', 'Logged-in users', ['who', '-a'], 'who.txt'),
  cmd('w', 'Logged-in users and what they run', ['w'], 'w.txt', true),
  cmd('last', 'Login history (wtmp)', ['last', '-Fwx'], 'last.txt', true),
  cmd('lastb', 'Failed logins (btmp)', ['lastb', '-Fw'], 'lastb.txt', true),
  cmd('lsmod', 'Loaded kernel modules', ['lsmod'], 'lsmod.txt', true),
  cmd('mounts', 'Mounted file systems', ['findmnt', '-l'], 'findmnt.txt', true),
  cmd('df', 'Disk usage', ['df', '-h'], 'df.txt'),
  cmd('sshd-T', 'Effective sshd configuration', ['sshd', '-T'], 'sshd-T.txt', true),
  cmd('systemctl', 'systemd units and their state', ['systemctl', 'list-units', '--all', '--no-pager'], 'systemctl-units.txt', true),
  cmd('timers', 'systemd timers', ['systemctl', 'list-timers', '--all', '--no-pager'], 'systemctl-timers.txt', true),
];

export const procNet: KernelFileItem = {
  id: 'live.proc-net',
  title: 'Kernel socket tables, mounts, modules as /proc shows them (ss and findmnt can be replaced by a rootkit, these less easily)',
  kind: 'kernel',
  paths: ['/proc/net/tcp', '/proc/net/tcp6', '/proc/net/udp', '/proc/net/udp6', '/proc/net/raw', '/proc/net/unix', '/proc/net/packet', '/proc/self/mounts', '/proc/modules', '/proc/uptime', '/proc/loadavg', '/proc/cmdline', '/proc/version', '/proc/sys/kernel/tainted'],
};
