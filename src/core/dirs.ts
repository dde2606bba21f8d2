import { promises as fsp } from 'node:fs';
import { UserError } from './errors.js';
import { shQuote } from './shell.js';

/**
 * One rule for every output directory a user names (`--out`, `--out-dir`): it must exist, so a typo
 * never scatters evidence into a new directory nobody looks at. (A case directory, `--case`, is
 * created: it is ir's own.) Returns the directory's real path.
 */
export async function existingDir(flag: string, dir: string): Promise<string> {
  const st = await fsp.stat(dir).catch(() => null);
  if (!st) throw new UserError(`${flag} ${dir}: no such directory`, `run: mkdir -p ${shQuote(dir)}`);
  if (!st.isDirectory()) throw new UserError(`${flag} ${dir}: not a directory`);
  return fsp.realpath(dir);
}
