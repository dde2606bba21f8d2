import type { CollectionItem } from './item.js';
import { accounts, cron, dropZones, firewallConfig, shadow, sshConfig, system, systemdUnits, userFiles, vendorUnits, wholeEtc } from './items/config.js';
import { liveCommands, procNet } from './items/live.js';
import { varLog } from './items/logs.js';

/** Every collection item, in collection order (volatile first, as RFC 3227 asks). */
export const ITEMS: CollectionItem[] = [...liveCommands, procNet, varLog, sshConfig, firewallConfig, cron, systemdUnits, accounts, shadow, system, userFiles, wholeEtc, vendorUnits, dropZones];

/** Roots of the bodyfile (filesystem timeline) besides the collected paths. */
export const BODYFILE_ROOTS = ['/etc', '/home', '/root', '/tmp', '/var/tmp', '/dev/shm', '/usr/local', '/opt', '/srv', '/var/www'];
