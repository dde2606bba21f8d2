import { z } from 'zod';

/** Format tag of `manifest.json`; `ir evidence verify` refuses archives without it. */
export const MANIFEST_FORMAT = 'ir-evidence/1';
export const MANIFEST_NAME = 'manifest.json';
export const HASHES_NAME = 'hashes.sha256';
export const LOG_NAME = 'acquisition.log';
/** Names the writer keeps for itself at the archive's root. */
export const RESERVED = new Set([MANIFEST_NAME, HASHES_NAME, LOG_NAME]);

export const CommandInfo = z.object({
  argv: z.array(z.string()),
  startedAt: z.string(),
  endedAt: z.string(),
  code: z.number().int().nullable(),
  signal: z.string().optional(),
  timedOut: z.boolean().optional(),
});
export type CommandInfo = z.infer<typeof CommandInfo>;

/** One archive entry as the manifest records it. */
export const ManifestEntry = z.object({
  path: z.string(),
  type: z.enum(['file', 'symlink']),
  size: z.number().int(),
  /** SHA-256 of the bytes stored in the archive (files only) */
  sha256: z.string().optional(),
  /** UTC ISO 8601 */
  mtime: z.string(),
  mode: z.number().int(),
  uid: z.number().int(),
  gid: z.number().int(),
  /** host path or command it came from */
  source: z.string(),
  /** how the bytes were read on the host: `ssh batch (tar)` (one stream), `ssh batch (cat)` (framed), `sftp` (one by one), `local` */
  readBy: z.string().optional(),
  linkTarget: z.string().optional(),
  command: CommandInfo.optional(),
  /** the file grew while read: stored up to its size at open */
  grew: z.boolean().optional(),
  /** the file shrank while read: bytes actually read, the rest zero-filled */
  shrankTo: z.number().int().optional(),
  /** stored size was capped by --max-file-size / --max-total: the original size */
  truncatedFrom: z.number().int().optional(),
  errors: z.array(z.string()).optional(),
  notes: z.array(z.string()).optional(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

/** An item not stored: `failed` when it exists but could not be read (the evidence is incomplete), else left out by design (a FIFO, a limit, a tool not installed). */
export const SkippedItem = z.object({ path: z.string(), reason: z.string(), at: z.string(), failed: z.boolean().optional() });
export type SkippedItem = z.infer<typeof SkippedItem>;

export const Manifest = z.object({
  format: z.literal(MANIFEST_FORMAT),
  tool: z.object({ name: z.string(), version: z.string() }),
  host: z.string(),
  operator: z.string(),
  argv: z.array(z.string()),
  startedAt: z.string(),
  endedAt: z.string(),
  files: z.array(ManifestEntry),
  skipped: z.array(SkippedItem),
});
export type Manifest = z.infer<typeof Manifest>;

/**
 * One line of `sha256sum` output. Like coreutils, a name with a backslash, newline or carriage
 * return is escaped and the line starts with a backslash, so `sha256sum -c` reads it back.
 */
export function sha256sumLine(sha256: string, path: string): string {
  if (!/[\\\n\r]/.test(path)) return `${sha256}  ${path}\n`;
  const esc = path.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
  return `\\${sha256}  ${esc}\n`;
}

/** Parses `sha256sum` output back into path → hash. */
export function parseSha256sum(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\\?)([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (!m) continue;
    const [, escaped, sha, raw = ''] = m;
    const name = escaped ? raw.replace(/\\(\\|n|r)/g, (_s, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\')) : raw;
    out.set(name, sha ?? '');
  }
  return out;
}
