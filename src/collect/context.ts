import type { EvidenceWriter } from '../evidence/writer.js';
import type { Target } from '../host/target.js';
import { TargetError } from '../host/target.js';
import type { Redactor } from './redact.js';

/** The target stopped answering (ssh dropped) or the archive cannot be written: the run ends, exit 2. */
export class CollectAborted extends Error {}

export interface CollectContext {
  target: Target;
  writer: EvidenceWriter;
  redactor: Redactor;
  maxFileSize: number;
  /** payload bytes still allowed by --max-total */
  budget: number;
  excluded: (path: string) => boolean;
  /** host paths already stored or listed, so overlapping items store a file once */
  stored: Set<string>;
  /** bodyfile lines by host path */
  body: Map<string, string>;
  since?: Date;
  tick(what: string): void;
}

/** Archive path of a host file. */
export function fsPath(hostPath: string): string {
  return `fs${hostPath}`;
}

/**
 * After an I/O error, tells a lost target or a broken archive (fatal) from one bad file (recorded,
 * collection goes on). Over ssh a dropped connection makes every later read fail the same way.
 */
export async function checkAlive(ctx: CollectContext, err: unknown): Promise<void> {
  const wf = ctx.writer.failure;
  if (wf) throw new CollectAborted(`writing ${ctx.writer.partialPath} failed: ${wf.message}`);
  if (!ctx.target.alive) return;
  if (err instanceof TargetError && (err.code === 'EACCES' || err.code === 'ENOENT' || err.code === 'NOT_REGULAR')) return;
  if (!(await ctx.target.alive())) throw new CollectAborted(`lost ${ctx.target.name}: ${(err as Error).message}`);
}
