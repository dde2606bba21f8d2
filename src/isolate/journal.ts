import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../core/json-file.js';
import { ContainerJournal } from './schema.js';

export const JOURNAL_NAME = 'isolation.json';

/** Written after every action (temp file + rename), so a crash mid-isolation still leaves what was done. */
export async function writeJournal(caseDir: string, j: ContainerJournal, name = JOURNAL_NAME): Promise<string> {
  return writeJsonAtomic(join(caseDir, name), j);
}

export async function readJournal(caseDir: string): Promise<ContainerJournal | null> {
  return readJsonFile(join(caseDir, JOURNAL_NAME), ContainerJournal, 'an isolation journal');
}
