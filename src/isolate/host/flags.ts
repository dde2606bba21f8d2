import { Flags } from '@oclif/core';

/** `ir isolate` flags of host containment (HOST NETWORK group in the help); light, for start-up. */
export const hostNetworkFlags = {
  'host-network': Flags.boolean({ summary: 'Contain the host itself: drop all traffic but SSH from the responder and established sessions (nftables).', helpGroup: 'HOST NETWORK', exclusive: ['project', 'file', 'dir', 'mode'] }),
  allow: Flags.string({ summary: 'Address or CIDR that keeps SSH access (default: the responder\'s address from SSH_CLIENT).', multiple: true, helpGroup: 'HOST NETWORK' }),
  'confirm-within': Flags.string({ summary: 'Dead man\'s switch: revert unless confirmed within this time (20s, 5m, 1h).', default: '5m', helpGroup: 'HOST NETWORK' }),
  confirm: Flags.boolean({ summary: 'Confirm a host quarantine over a new connection, so the watchdog does not revert it (needs --case).', helpGroup: 'HOST NETWORK', exclusive: ['host-network'] }),
  'drop-established': Flags.boolean({ summary: 'Also cut connections that are already open (only the responder\'s SSH stays).', helpGroup: 'HOST NETWORK' }),
  'kill-sessions': Flags.string({ summary: 'Kill every process of this user (its SSH sessions and what it left running).', multiple: true, helpGroup: 'HOST NETWORK' }),
  'lock-user': Flags.string({ summary: 'Lock the password, expire the account and move authorized_keys aside.', multiple: true, helpGroup: 'HOST NETWORK' }),
};

export interface HostNetworkFlagValues {
  host?: string[];
  case?: string;
  'dry-run'?: boolean;
  yes?: boolean;
  confirm?: boolean;
  allow?: string[];
  'confirm-within': string;
  'drop-established'?: boolean;
  'kill-sessions'?: string[];
  'lock-user'?: string[];
}
