/** What the engine knows of a command's flags, taken from oclif's own command list (never from its code). */
export interface FlagInfo {
  type: 'boolean' | 'option';
  multiple?: boolean;
  allowNo?: boolean;
  options?: readonly string[];
}

export type Catalog = Map<string, Record<string, FlagInfo>>;

/** Flags the run sets on every step from its own flags (`--host`, `--hosts`, `-i`…); a step may not set them. */
export const RUN_FLAGS = ['host', 'root', 'identity', 'known-hosts', 'accept-new', 'sudo', 'ssh-config', 'connect-timeout', 'json'] as const;

interface OclifLoadable {
  id: string;
  flags?: Record<string, { type: string; multiple?: boolean; allowNo?: boolean; options?: readonly string[] }>;
}

export function catalogFrom(commands: readonly OclifLoadable[]): Catalog {
  const c: Catalog = new Map();
  for (const cmd of commands) {
    const flags: Record<string, FlagInfo> = {};
    for (const [name, f] of Object.entries(cmd.flags ?? {})) {
      flags[name] = { type: f.type === 'boolean' ? 'boolean' : 'option', multiple: f.multiple, allowNo: f.allowNo, options: f.options };
    }
    // oclif ids use ':' inside; playbooks write the command as typed ("evidence verify")
    c.set(cmd.id.replace(/:/g, ' '), flags);
  }
  return c;
}
