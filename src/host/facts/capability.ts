/**
 * File capabilities: the `security.capability` extended attribute, a `struct vfs_cap_data`
 * (linux/capability.h), decoded into getcap's words (`cap_net_raw=ep`), so that an offline root read
 * with getfattr says what getcap would have said on the host.
 */

/** Capability numbers (linux/capability.h), in order. */
export const CAP_NAMES = [
  'cap_chown', 'cap_dac_override', 'cap_dac_read_search', 'cap_fowner', 'cap_fsetid', 'cap_kill', 'cap_setgid', 'cap_setuid', 'cap_setpcap', 'cap_linux_immutable',
  'cap_net_bind_service', 'cap_net_broadcast', 'cap_net_admin', 'cap_net_raw', 'cap_ipc_lock', 'cap_ipc_owner', 'cap_sys_module', 'cap_sys_rawio', 'cap_sys_chroot', 'cap_sys_ptrace',
  'cap_sys_pacct', 'cap_sys_admin', 'cap_sys_boot', 'cap_sys_nice', 'cap_sys_resource', 'cap_sys_time', 'cap_sys_tty_config', 'cap_mknod', 'cap_lease', 'cap_audit_write',
  'cap_audit_control', 'cap_setfcap', 'cap_mac_override', 'cap_mac_admin', 'cap_syslog', 'cap_wake_alarm', 'cap_block_suspend', 'cap_audit_read', 'cap_perfmon', 'cap_bpf',
  'cap_checkpoint_restore',
] as const;

const REVISION_MASK = 0xff000000;
const FLAG_EFFECTIVE = 0x000001;

export interface FileCaps {
  permitted: string[];
  inheritable: string[];
  effective: boolean;
  /** revision 3: the user namespace root the capabilities apply in */
  rootid?: number;
  /** getcap's notation: `cap_setuid,cap_net_raw=ep` */
  text: string;
}

function names(lo: number, hi: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) {
    const set = i < 32 ? (lo >>> i) & 1 : (hi >>> (i - 32)) & 1;
    if (set) out.push(CAP_NAMES[i] ?? `cap_${i}`);
  }
  return out;
}

/** Decodes `security.capability` (revision 1, 2 or 3); null when the value is not one. */
export function decodeFileCaps(buf: Buffer): FileCaps | null {
  if (buf.length < 12) return null;
  const magic = buf.readUInt32LE(0);
  const rev = (magic & REVISION_MASK) >>> 24;
  if (rev < 1 || rev > 3 || (rev === 1 && buf.length < 12) || (rev >= 2 && buf.length < 20)) return null;
  const permitted = names(buf.readUInt32LE(4), rev >= 2 ? buf.readUInt32LE(12) : 0);
  const inheritable = names(buf.readUInt32LE(8), rev >= 2 ? buf.readUInt32LE(16) : 0);
  const effective = (magic & FLAG_EFFECTIVE) !== 0;
  const parts: string[] = [];
  const both = permitted.filter((c) => inheritable.includes(c));
  const onlyP = permitted.filter((c) => !inheritable.includes(c));
  const onlyI = inheritable.filter((c) => !permitted.includes(c));
  if (both.length) parts.push(`${both.join(',')}=${effective ? 'e' : ''}ip`);
  if (onlyP.length) parts.push(`${onlyP.join(',')}=${effective ? 'e' : ''}p`);
  if (onlyI.length) parts.push(`${onlyI.join(',')}=i`);
  return { permitted, inheritable, effective, ...(rev === 3 && buf.length >= 24 ? { rootid: buf.readUInt32LE(20) } : {}), text: parts.join(' ') || '=' };
}
