import type { CollectionItem, Profile } from './item.js';
import { accounts, cron, dropZones, firewallConfig, shadow, sshConfig, system, systemdUnits, userFiles, vendorUnits, wholeEtc } from './items/config.js';
import { liveCommands, procNet } from './items/live.js';
import { varLog } from './items/logs.js';

/** Every collection item, in collection order (volatile first, as RFC 3227 asks). */
export const ITEMS: CollectionItem[] = [...liveCommands, procNet, varLog, sshConfig, firewallConfig, cron, systemdUnits, accounts, shadow, system, userFiles, wholeEtc, vendorUnits, dropZones];

export function itemsFor(profile: Profile): CollectionItem[] {
  return ITEMS.filter((i) => i.profiles.includes(profile));
}

/** Roots of the bodyfile (filesystem timeline) besides the collected paths. */
export const BODYFILE_ROOTS = ['/etc', '/home', '/root', '/tmp', '/var/tmp', '/dev/shm', '/usr/local', '/opt', '/srv', '/var/www'];

/** Never walked: pseudo file systems (the process bodies are read on purpose, elsewhere). */
export const NEVER_WALK = ['/proc', '/sys', '/dev'];
