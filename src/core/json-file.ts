import { promises as fsp } from 'node:fs';
import type { z } from 'zod';
import { UserError } from './errors.js';

/** Journals and baselines are written as `.partial` then renamed, mode 600: a crash never leaves half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<string> {
  const tmp = `${path}.partial`;
  await fsp.writeFile(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  await fsp.rename(tmp, path);
  return path;
}

/** Reads a JSON file validated by `schema`; null when missing, a one-line UserError naming `what` otherwise. */
export async function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.infer<S> | null> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path} is not ${what}: not JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new UserError(`${path} is not ${what}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
