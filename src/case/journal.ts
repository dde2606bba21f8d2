import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { utcNow } from '../core/time.js';

/** One line of `journal.jsonl`: the case's own record of what ran, when, and how it ended. */
export const JournalEvent = z.object({
  ts: z.string(),
  event: z.enum(['case-start', 'case-resume', 'confirm', 'host-start', 'host-unreachable', 'step-start', 'step-end', 'host-end', 'case-end']),
  host: z.string().optional(),
  n: z.number().int().optional(),
  step: z.string().optional(),
  command: z.string().optional(),
  argv: z.array(z.string()).optional(),
  status: z.string().optional(),
  exitCode: z.number().int().nullable().optional(),
  /** files the step wrote into the case, relative to the case directory */
  outputs: z.array(z.string()).optional(),
  seconds: z.number().optional(),
  message: z.string().optional(),
});
export type JournalEvent = z.infer<typeof JournalEvent>;

export const JOURNAL = 'journal.jsonl';

export class Journal {
  constructor(readonly path: string) {}

  /** Appends synchronously: a killed run keeps every line it wrote, and hosts never interleave a line. */
  write(e: Omit<JournalEvent, 'ts'>): JournalEvent {
    const full = { ts: utcNow(), ...e };
    appendFileSync(this.path, JSON.stringify(full) + '\n', { mode: 0o600 });
    return full;
  }
}

/** Reads a journal; a torn last line (the run was killed mid-write) is ignored. */
export function readJournal(path: string): JournalEvent[] {
  if (!existsSync(path)) return [];
  const out: JournalEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const p = JournalEvent.safeParse(JSON.parse(line));
      if (p.success) out.push(p.data);
    } catch {
      // torn line
    }
  }
  return out;
}
