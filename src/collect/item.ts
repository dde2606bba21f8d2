/**
 * A collection item is knowledge as data (UAC's artifact YAML): an id, a title and what it reads.
 * The engine in collect.ts never changes when an item is added; the registry in registry.ts lists
 * them, the profiles in profiles/*.yaml name them (profiles.ts), and docs/collect.md is generated from both.
 */
interface Base {
  id: string;
  title: string;
}

/** Host paths copied as they are: a directory is walked without following symlinks. */
export interface PathItem extends Base {
  kind: 'paths';
  paths: string[];
  /** only with --include-shadow */
  needs?: 'shadow';
}

/** Paths under every account's home directory (from /etc/passwd) and /root. */
export interface HomeItem extends Base {
  kind: 'home';
  relPaths: string[];
}

/** A command on a live target: stdout, stderr, argv, times and exit code. */
export interface CommandItem extends Base {
  kind: 'command';
  argv: string[];
  /** archive path under live/ */
  out: string;
  /** absence is a fact (nft on an iptables host), not a failure */
  optional?: boolean;
  timeoutMs?: number;
}

/** A pseudo-file of a live kernel (/proc/net/tcp): read, never walked. */
export interface KernelFileItem extends Base {
  kind: 'kernel';
  paths: string[];
}

export type CollectionItem = PathItem | HomeItem | CommandItem | KernelFileItem;
