import type { FileStat } from '../host/target.js';

const TYPE_CHAR: Record<FileStat['type'], string> = { file: '-', dir: 'd', symlink: 'l', fifo: 'p', socket: 's', char: 'c', block: 'b', unknown: '-' };

/** `-rwsr-xr-x` as ls and The Sleuth Kit's mactime print it. */
export function modeString(st: FileStat): string {
  const m = st.mode;
  const rwx = (shift: number, special: number, ch: string) => {
    const r = m & (4 << shift) ? 'r' : '-';
    const w = m & (2 << shift) ? 'w' : '-';
    const x = m & (1 << shift);
    const s = m & special;
    return r + w + (s ? (x ? ch : ch.toUpperCase()) : x ? 'x' : '-');
  };
  return TYPE_CHAR[st.type] + rwx(6, 0o4000, 's') + rwx(3, 0o2000, 's') + rwx(0, 0o1000, 't');
}

/**
 * One line of a TSK 3 bodyfile, as UAC writes it from stat: MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime.
 * MD5 is 0 (the archive's manifest has SHA-256 of what was collected); a link is "name -> target";
 * `|` in a name is escaped as TSK does not quote.
 */
export function bodyfileLine(path: string, st: FileStat, linkTarget?: string): string {
  const name = (linkTarget !== undefined ? `${path} -> ${linkTarget}` : path).replace(/\|/g, '\\|').replace(/\n/g, '\\n');
  const s = (n: number | undefined) => String(Math.floor(n ?? 0));
  return `0|${name}|${st.ino ?? 0}|${modeString(st)}|${st.uid}|${st.gid}|${st.size}|${s(st.atime)}|${s(st.mtime)}|${s(st.ctime)}|0\n`;
}
