import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { readYaml } from '../core/yaml.js';
import type { CollectionItem } from './item.js';
import { ITEMS } from './registry.js';

/**
 * Collection profiles are YAML files that name items, as UAC's profiles name artifacts: the shipped
 * ones in profiles/ at the package root (`--profile triage`), or a file of the user's own
 * (`--profile ./mine.yaml`). Adding a profile never touches the engine.
 */
export const PROFILE_DIR = fileURLToPath(new URL('../../profiles/', import.meta.url));

const ProfileFile = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /** item ids; `prefix.*` takes every item whose id starts with `prefix.`; `!id` leaves one out */
  items: z.array(z.string().min(1)).min(1),
});

export interface CollectionProfile {
  name: string;
  file: string;
  description: string;
  items: CollectionItem[];
}

/** The names of the shipped profiles (profiles/*.yaml). */
export async function profileNames(): Promise<string[]> {
  const names = await fsp.readdir(PROFILE_DIR).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.yaml')).map((n) => n.slice(0, -5)).sort();
}

/** Resolves a profile's item patterns against the registry, in the registry's (collection) order. */
export function selectItems(patterns: string[], where: (p: string) => string, all: CollectionItem[] = ITEMS): CollectionItem[] {
  const chosen = new Set<string>();
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    const p = neg ? raw.slice(1) : raw;
    const match = p.endsWith('.*') ? (id: string) => id.startsWith(p.slice(0, -1)) : (id: string) => id === p;
    const hits = all.filter((i) => match(i.id));
    if (hits.length === 0) throw new UserError(`${where(raw)}: no collection item ${p}`, `items: ${all.map((i) => i.id).join(', ')}`);
    for (const h of hits) {
      if (neg) chosen.delete(h.id);
      else chosen.add(h.id);
    }
  }
  return all.filter((i) => chosen.has(i.id));
}

/** `triage`, `full`, … (profiles/NAME.yaml) or a path to a profile file. */
export async function loadProfile(nameOrPath: string): Promise<CollectionProfile> {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') || nameOrPath.endsWith('.yml');
  const file = isPath ? nameOrPath : join(PROFILE_DIR, `${nameOrPath}.yaml`);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`--profile ${nameOrPath}: ${(err as Error).message}`);
    if (isPath) throw new UserError(`--profile ${nameOrPath}: no such file`);
    throw new UserError(`--profile ${nameOrPath}: no such profile`, `known: ${(await profileNames()).join(', ')}; or a path to a .yaml file`);
  }
  const y = readYaml(text, file, 'collection profile');
  const parsed = ProfileFile.safeParse(y.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const line = y.lineOf(issue.path);
    throw new UserError(`collection profile ${file}${line ? `:${line}` : ''}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const p = parsed.data;
  const items = selectItems(p.items, (raw) => {
    const line = y.lineOf(['items', p.items.indexOf(raw)]);
    return `collection profile ${file}${line ? `:${line}` : ''}`;
  });
  return { name: isPath ? p.name : basename(file, '.yaml'), file, description: p.description, items };
}
