import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../output/errors.js';
import { HostJournal } from './schema.js';

export const HOST_JOURNAL_NAME = 'host-isolation.json';

export async function writeHostJournal(caseDir: string, j: HostJournal): Promise<string> {
  const path = join(caseDir, HOST_JOURNAL_NAME);
  await fsp.writeFile(`${path}.partial`, JSON.stringify(j, null, 2) + '\n', { mode: 0o600 });
  await fsp.rename(`${path}.partial`, path);
  return path;
}

export async function readHostJournal(caseDir: string): Promise<HostJournal | null> {
  const path = join(caseDir, HOST_JOURNAL_NAME);
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = HostJournal.safeParse(JSON.parse(text));
  if (!parsed.success) throw new UserError(`${path} is not a host isolation journal: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
