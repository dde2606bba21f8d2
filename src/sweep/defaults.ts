/**
 * Sweep knobs that src/policy.ts does not (yet) carry: the guides' own values. Kept here so that one
 * place changes when the policy file grows a `sweep:` section.
 */
/** What a sweep baseline keeps between runs besides the checks' verdicts (sweep --state). */
export const STATE_KINDS = ['port', 'account', 'authorized-key', 'persistence', 'unit'] as const;
export type StateKind = (typeof STATE_KINDS)[number];

export const SWEEP_DEFAULTS = {
  /** a TLS certificate expiring sooner than this fails (Let's Encrypt renews at 30 days left) */
  certMinDays: 14,
  /** fail2ban actions that actually block (the hardening guide bans through ufw) */
  blockingBanactions: ['ufw', 'iptables', 'iptables-multiport', 'iptables-allports', 'iptables-ipset', 'iptables-ipset-proto6', 'iptables-ipset-proto6-allports', 'nftables', 'nftables-multiport', 'nftables-allports', 'firewallcmd-ipset', 'firewallcmd-multiport', 'firewallcmd-allports', 'firewallcmd-rich-rules', 'shorewall', 'route', 'hostsdeny'],
  /** ports that must never listen on a public address: Redis, Postgres (the hardening guide keeps Redis internal) */
  dataPorts: { 6379: 'Redis', 5432: 'PostgreSQL', 3306: 'MySQL', 27017: 'MongoDB', 11211: 'memcached' } as Record<number, string>,
  /** a container whose image or service name says it is a database or cache must sit on internal networks only */
  dataServicePattern: /(^|[/_.-])(redis|valkey|keydb|postgres|postgresql|postgis|mysql|mariadb|mongo|mongodb|memcached|db|cache)([/:_.@-]|\d|$)/i,
  /** commands that make a scheduled job a backup */
  backupCommands: /\b(pg_dump|pg_dumpall|pg_basebackup|pgbackrest|barman|mysqldump|mariadb-dump|mongodump|restic|borg|borgmatic|duplicity|duplicati|rsnapshot|rdiff-backup|autopostgresqlbackup|automysqlbackup|kopia|rclone)\b/,
  /** walking an application tree stops here (a huge media/ must not stall a sweep) */
  appMaxEntries: 20000,
  appMaxDepth: 10,
  /** directories not walked for permission checks (dependency trees with their own modes) */
  appSkipDirs: ['node_modules', '.cache'],
} as const;

export type SweepDefaults = typeof SWEEP_DEFAULTS;
