import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../output/errors.js';
import { ContainerJournal } from './schema.js';

export const JOURNAL_NAME = 'isolation.json';

/** Written after every action (temp file + rename), so a crash mid-isolation still leaves what was done. */
export async function writeJournal(caseDir: string, j: ContainerJournal, name = JOURNAL_NAME): Promise<string> {
  const path = join(caseDir, name);
  const tmp = `${path}.partial`;
  await fsp.writeFile(tmp, JSON.stringify(j, null, 2) + '\n', { mode: 0o600 });
  await fsp.rename(tmp, path);
  return path;
}

export async function readJournal(caseDir: string): Promise<ContainerJournal | null> {
  const path = join(caseDir, JOURNAL_NAME);
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = ContainerJournal.safeParse(JSON.parse(text));
  if (!parsed.success) throw new UserError(`${path} is not an isolation journal: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
