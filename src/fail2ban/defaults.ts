/** fail2ban's own default (`socket` in fail2ban.conf). */
export const DEFAULT_SOCKET = '/var/run/fail2ban/fail2ban.sock';

/** fail2ban's configuration directory. */
export const DEFAULT_CONF_DIR = '/etc/fail2ban';

/** Where `ir ban` and `ir unban` record every action (on the machine ir runs on). */
export const DEFAULT_JOURNAL = '/var/lib/ir/journal.jsonl';
