import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../core/errors.js';
import { writeJsonAtomic } from '../core/json-file.js';
import { compareBaseline, parseBaseline, saveBaseline, type Baseline } from './baseline.js';

export { compareBaseline, saveBaseline };

export async function readBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`--baseline ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 'create one with --save-baseline');
  }
  try {
    return parseBaseline(text, file);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

/** Written as .partial then renamed, mode 600: it lists keys and paths of the host. */
export async function writeBaseline(file: string, b: Baseline): Promise<void> {
  await fsp.mkdir(dirname(file), { recursive: true });
  await writeJsonAtomic(file, b);
}
