import { join } from 'node:path';
import type { CaseMeta } from '../case/case.js';
import { shellLine } from '../core/shell.js';
import { parseHostSpec } from '../host/host-spec.js';

/**
 * The exact command lines of the report's next steps, for the host the case ran on: `ir` commands with
 * the run's own target flags (`--host … --sudo`, `--root …`), commands on the host through the same
 * ssh login. Every argument is shell-quoted (core/shell.ts): a pasted line never runs `$(…)`.
 */
export interface HostCommands {
  /** `ir ARGS` pointed at this host, as the case was run */
  ir(args: string[]): string;
  /** `ir ARGS` for a command that changes a live host (ban, isolate, restore): none for an image */
  irLive(args: string[]): string | null;
  /** a command run as root on the host: `sudo …` here, `ssh … 'sudo …'` for --host */
  root(argv: string[]): string;
  /** a path of the host as this machine reaches it (under --root for an image; '.' is the root itself) */
  path(p: string): string;
  /** how the target was given, for the steps' wording */
  kind: CaseMeta['target'];
}

export function hostCommands(meta: CaseMeta, label: string): HostCommands {
  const h = meta.hosts.find((x) => x.label === label);
  const args = new Map(meta.targetArgs.map((t) => [t.name, t.value]));
  const identity = h?.identity ?? (typeof args.get('identity') === 'string' ? (args.get('identity') as string) : undefined);
  const flags: string[] = [];
  if (meta.target === 'image' && meta.root) flags.push('--root', meta.root);
  if (meta.target === 'ssh' && h?.spec) {
    flags.push('--host', h.spec);
    if (identity) flags.push('--identity', identity);
    for (const name of ['known-hosts', 'ssh-config']) if (typeof args.get(name) === 'string') flags.push(`--${name}`, args.get(name) as string);
    if (args.get('sudo') === true) flags.push('--sudo');
  }
  const ssh = (): string[] => {
    const spec = parseHostSpec(h!.spec!);
    const out = ['ssh'];
    if (spec.port) out.push('-p', String(spec.port));
    if (identity) out.push('-i', identity);
    if (typeof args.get('ssh-config') === 'string') out.push('-F', args.get('ssh-config') as string);
    if (typeof args.get('known-hosts') === 'string') out.push('-o', `UserKnownHostsFile=${args.get('known-hosts') as string}`);
    out.push(spec.user ? `${spec.user}@${spec.host}` : spec.host);
    return out;
  };
  return {
    kind: meta.target,
    ir: (a) => shellLine(['ir', ...a, ...flags]),
    irLive: (a) => (meta.target === 'image' ? null : shellLine(['ir', ...a, ...flags])),
    root: (argv) => (meta.target === 'ssh' && h?.spec ? shellLine([...ssh(), shellLine(['sudo', ...argv])]) : shellLine(['sudo', ...argv])),
    path: (p) => (meta.target === 'image' && meta.root ? join(meta.root, p) : p).replace(/(.)\/+$/, '$1'),
  };
}
