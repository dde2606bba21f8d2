import { Flags } from '@oclif/core';
import type { Target } from './target.js';
import { UserError } from '../core/errors.js';
import { parseHostSpec } from './host-spec.js';
import { connectionKey, stepTarget } from './pool.js';

// Light on purpose: every command module imports these flag definitions at start-up (see
// output/command.ts); the hosts themselves (ssh2, the image reader) load only when a target opens.

/** Flags that choose the host: local (default), `--host` over SSH, or `--root DIR` offline. */
export const targetFlags = {
  host: Flags.string({
    char: 'H',
    summary: 'Remote host over SSH: [user@]name[:port] or an ssh_config alias.',
    helpGroup: 'TARGET',
    multiple: true,
    exclusive: ['root'],
    // checked as the flags are parsed, before any file is read or any name looked up
    parse: async (input) => {
      try {
        parseHostSpec(input);
      } catch (err) {
        throw new Error((err as Error).message.replace(/^--host /, ''));
      }
      return input;
    },
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

/** Flags that make a fleet of the `--host` flag: an inventory, a group filter and how many at once. */
export const fleetFlags = {
  hosts: Flags.string({ summary: 'Ansible inventory (INI or YAML, groups, ansible_host/ansible_user/ansible_port) or one host per line.', helpGroup: 'TARGET', exclusive: ['root'] }),
  limit: Flags.string({ summary: 'Only these groups or hosts of --hosts (comma-separated).', helpGroup: 'TARGET', dependsOn: ['hosts'] }),
  concurrency: Flags.integer({ summary: 'Hosts worked on at once.', default: 5, min: 1, max: 256, helpGroup: 'TARGET' }),
};

export interface FleetFlagValues {
  hosts?: string;
  limit?: string;
  concurrency?: number;
}

/** True when the flags name more than one host (`--host` repeated or `--hosts FILE`). */
export function isFleet(f: TargetFlagValues & FleetFlagValues): boolean {
  return Boolean(f.hosts) || (f.host?.length ?? 0) > 1;
}

/** Opens the one target the flags name. */
export async function openTarget(f: TargetFlagValues): Promise<Target> {
  if (f.root) {
    const { ImageHost } = await import('./image.js');
    return stepTarget(undefined, () => ImageHost.open(f.root!));
  }
  if (f.host && f.host.length > 0) {
    if (f.host.length > 1) throw new UserError('this command takes one --host', 'use `ir playbook run` for fleets');
    const [{ SshHost }, { parseHostSpec }] = await Promise.all([import('./ssh.js'), import('./host-spec.js')]);
    const o = { identity: f.identity, knownHosts: f['known-hosts'], acceptNew: f['accept-new'], sudo: f.sudo, sshConfig: f['ssh-config'] };
    // in a playbook step: the host's connection, shared by its steps (host/pool.ts)
    return stepTarget(connectionKey(f.host[0]!, o), () => SshHost.connect(parseHostSpec(f.host![0]!), { ...o, connectTimeoutMs: (f['connect-timeout'] ?? 10) * 1000 }));
  }
  const { LocalHost } = await import('./local.js');
  return stepTarget(undefined, async () => new LocalHost({ sudo: f.sudo }));
}
