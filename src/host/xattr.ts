import { NotAvailable, TargetError, type ExecResult } from './target.js';

/**
 * Extended attributes through `getfattr` (package attr): Node has no xattr API. One run per file,
 * hex-encoded so any value survives; `names` limits the dump (default: every namespace root can see).
 * `run` is the target's exec (here for local files and images, over ssh for a remote host).
 */
export async function getfattr(run: (argv: string[]) => Promise<ExecResult>, path: string, names?: string[]): Promise<Record<string, Buffer>> {
  // -h: the link's own attributes, never its target's
  const argv = ['getfattr', '-h', '--absolute-names', '-e', 'hex', '-d', '-m', names?.length ? `^(${names.map(escapeRe).join('|')})$` : '-', '--', path];
  let res: ExecResult;
  try {
    res = await run(argv);
  } catch (err) {
    if (err instanceof TargetError && err.code === 'ENOENT') throw new NotAvailable('extended attributes (getfattr is not installed; Debian package attr)');
    throw err;
  }
  if (res.code === 127) throw new NotAvailable('extended attributes (getfattr is not installed; Debian package attr)');
  if (res.code !== 0) {
    const msg = res.stderr.toString('utf8').trim();
    if (/No such file/.test(msg)) throw new TargetError('ENOENT', 'no such file', path);
    throw new TargetError('IO', `getfattr: ${msg.split('\n')[0] || `exit ${res.code}`}`, path);
  }
  return parseGetfattr(res.stdout.toString('latin1'));
}

/** `# file: p` then `name=0xHEX` lines (a value without `=` is empty). */
export function parseGetfattr(text: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1);
    out[name] = value.startsWith('0x') ? Buffer.from(value.slice(2), 'hex') : Buffer.from(value.replace(/^"|"$/g, ''), 'latin1');
  }
  return out;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
