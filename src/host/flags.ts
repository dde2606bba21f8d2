import { Flags } from '@oclif/core';
import { ImageHost } from './image.js';
import { LocalHost } from './local.js';
import { parseHostSpec } from './host-spec.js';
import { SshHost } from './ssh.js';
import type { Target } from './target.js';
import { UserError } from '../output/errors.js';

/** Flags that choose the host: local (default), `--host` over SSH, or `--root DIR` offline. */
export const targetFlags = {
  host: Flags.string({
    char: 'H',
    summary: 'Remote host over SSH: [user@]name[:port] or an ssh_config alias.',
    helpGroup: 'TARGET',
    multiple: true,
    exclusive: ['root'],
  }),
  root: Flags.string({ summary: 'Offline copy or mount of a disk (dead-box forensics).', helpGroup: 'TARGET', exclusive: ['host'] }),
  identity: Flags.string({ char: 'i', summary: 'SSH private key to try first.', helpGroup: 'TARGET' }),
  'known-hosts': Flags.string({ summary: 'known_hosts file to verify host keys against (default ~/.ssh/known_hosts).', helpGroup: 'TARGET' }),
  'accept-new': Flags.boolean({ summary: 'Accept and record the key of a host never seen before (a changed key is always refused).', helpGroup: 'TARGET' }),
  sudo: Flags.boolean({ summary: 'Run remote commands and reads through sudo -n (needs NOPASSWD).', helpGroup: 'TARGET' }),
  'ssh-config': Flags.string({ summary: 'ssh_config file (default ~/.ssh/config).', helpGroup: 'TARGET' }),
  'connect-timeout': Flags.integer({ summary: 'Seconds to wait for an SSH connection.', default: 10, helpGroup: 'TARGET' }),
};

export interface TargetFlagValues {
  host?: string[];
  root?: string;
  identity?: string;
  'known-hosts'?: string;
  'accept-new'?: boolean;
  sudo?: boolean;
  'ssh-config'?: string;
  'connect-timeout'?: number;
}

/** Opens the one target the flags name. */
export async function openTarget(f: TargetFlagValues): Promise<Target> {
  if (f.root) return ImageHost.open(f.root);
  if (f.host && f.host.length > 0) {
    if (f.host.length > 1) throw new UserError('this command takes one --host', 'use `ir playbook run` for fleets');
    return SshHost.connect(parseHostSpec(f.host[0]!), {
      identity: f.identity,
      knownHosts: f['known-hosts'],
      acceptNew: f['accept-new'],
      sudo: f.sudo,
      sshConfig: f['ssh-config'],
      connectTimeoutMs: (f['connect-timeout'] ?? 10) * 1000,
    });
  }
  return new LocalHost({ sudo: f.sudo });
}
