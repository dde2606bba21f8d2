import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../../core/json-file.js';
import { HostJournal } from './schema.js';

export const HOST_JOURNAL_NAME = 'host-isolation.json';

export async function writeHostJournal(caseDir: string, j: HostJournal): Promise<string> {
  return writeJsonAtomic(join(caseDir, HOST_JOURNAL_NAME), j);
}

export async function readHostJournal(caseDir: string): Promise<HostJournal | null> {
  return readJsonFile(join(caseDir, HOST_JOURNAL_NAME), HostJournal, 'a host isolation journal');
}
