import type { PathItem } from '../item.js';

/** Everything under /var/log: auth, syslog, kern, fail2ban, ufw, nginx, postgresql, rotated .N and .gz, journal files as they are. */
export const varLog: PathItem = {
  id: 'logs.var-log',
  title: 'System and service logs, rotated and compressed copies, binary journal files',
  kind: 'paths',
  paths: ['/var/log'],
};
