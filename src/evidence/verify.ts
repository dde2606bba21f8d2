import { createHash, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { HASHES_NAME, MANIFEST_NAME, Manifest, parseSha256sum, sha256sumLine } from './manifest.js';
import { NotGzip, readArchive } from './reader.js';
import type { TarEntry } from './tar-parser.js';

export const VerifyProblem = z.object({
  /** the archive member concerned, or the archive itself */
  path: z.string(),
  problem: z.string(),
  expected: z.string().optional(),
  actual: z.string().optional(),
});
export type VerifyProblem = z.infer<typeof VerifyProblem>;

export const VerifyResult = z.object({
  file: z.string(),
  intact: z.boolean(),
  sha256: z.string(),
  /** from `<file>.sha256` beside the archive, null when there is none */
  expectedSha256: z.string().nullable(),
  host: z.string().optional(),
  startedAt: z.string().optional(),
  entries: z.number().int(),
  /** members whose hash was recomputed and compared */
  checked: z.number().int(),
  problems: z.array(VerifyProblem),
  warnings: z.array(z.string()),
  /** what the collection could not read (from the manifest): the archive can be intact and the evidence still incomplete */
  notRead: z.array(z.object({ path: z.string(), reason: z.string() })),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

export const LsEntry = z.object({
  path: z.string(),
  type: z.enum(['file', 'symlink', 'dir', 'other']),
  size: z.number().int(),
  mode: z.number().int(),
  uid: z.number().int(),
  gid: z.number().int(),
  mtime: z.string(),
  linkTarget: z.string().optional(),
  sha256: z.string().optional(),
  source: z.string().optional(),
});
export type LsEntry = z.infer<typeof LsEntry>;

interface Seen {
  entry: TarEntry;
  sha256?: string;
  damaged: boolean;
}

async function open(file: string): Promise<void> {
  const st = await fsp.stat(file).catch(() => null);
  if (!st) throw new UserError(`${file}: no such file`);
  if (!st.isFile()) throw new UserError(`${file}: not a regular file`);
}

/** One pass over the archive: every member hashed, manifest.json and hashes.sha256 kept. */
async function scan(file: string, hashData: boolean) {
  const seen: Seen[] = [];
  const gzipProblems: string[] = [];
  const tarProblems: string[] = [];
  const keep = new Map<string, Buffer[]>();
  let cur: { hash?: Hash; keep?: Buffer[] } = {};
  let summary;
  try {
    summary = await readArchive(file, {
      entry(e) {
        cur = {
          hash: hashData && e.type === 'file' ? createHash('sha256') : undefined,
          keep: e.path === MANIFEST_NAME || e.path === HASHES_NAME ? [] : undefined,
        };
      },
      data(chunk) {
        cur.hash?.update(chunk);
        cur.keep?.push(Buffer.from(chunk));
      },
      end(e, damaged) {
        seen.push({ entry: e, sha256: cur.hash?.digest('hex'), damaged });
        if (cur.keep && !damaged) keep.set(e.path, cur.keep);
        cur = {};
      },
      problem: (m) => tarProblems.push(m),
      gzipProblem: (m) => gzipProblems.push(m),
    });
  } catch (err) {
    if (err instanceof NotGzip) throw new UserError(`${file}: not an ir evidence archive (not gzip)`);
    throw err;
  }
  const text = (name: string) => {
    const b = keep.get(name);
    return b ? Buffer.concat(b).toString('utf8') : undefined;
  };
  let manifest: Manifest | undefined;
  let manifestError: string | undefined;
  const mt = text(MANIFEST_NAME);
  if (mt !== undefined) {
    try {
      manifest = Manifest.parse(JSON.parse(mt));
    } catch (err) {
      manifestError = `manifest.json does not parse: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return { seen, gzipProblems, tarProblems, summary, manifest, manifestError, hashes: text(HASHES_NAME) };
}

/** Recomputes every member's SHA-256 and the archive's own, and names every mismatch. */
export async function verifyEvidence(file: string): Promise<VerifyResult> {
  await open(file);
  const { seen, gzipProblems, tarProblems, summary, manifest, manifestError, hashes } = await scan(file, true);
  if (!manifest && hashes === undefined && !summary.irMembers) throw new UserError(`${file}: not an ir evidence archive (no ${MANIFEST_NAME})`);
  const problems: VerifyProblem[] = [];
  const warnings: string[] = [];
  const name = basename(file);
  for (const g of gzipProblems) problems.push({ path: name, problem: g });
  for (const t of tarProblems) problems.push({ path: name, problem: t });

  let expectedSha256: string | null = null;
  const side = await fsp.readFile(`${file}.sha256`, 'utf8').catch(() => null);
  if (side === null) warnings.push(`no ${name}.sha256 beside the archive: its own hash was not checked`);
  else {
    const sums = parseSha256sum(side);
    expectedSha256 = sums.get(name) ?? [...sums.values()][0] ?? null;
    if (!expectedSha256) problems.push({ path: `${name}.sha256`, problem: 'no SHA-256 line in the file' });
    else if (expectedSha256 !== summary.sha256) problems.push({ path: name, problem: 'archive SHA-256 differs from its .sha256 file', expected: expectedSha256, actual: summary.sha256 });
  }

  const byPath = new Map<string, Seen>();
  for (const s of seen) {
    if (s.entry.type === 'dir') continue;
    if (byPath.has(s.entry.path)) problems.push({ path: s.entry.path, problem: 'member appears twice in the archive' });
    byPath.set(s.entry.path, s);
    if (s.damaged) problems.push({ path: s.entry.path, problem: 'member lies in a damaged part of the archive' });
  }

  if (!manifest) problems.push({ path: MANIFEST_NAME, problem: manifestError ?? 'manifest.json missing or damaged' });
  const listed = new Set<string>([MANIFEST_NAME, HASHES_NAME]);
  let checked = 0;
  for (const f of manifest?.files ?? []) {
    listed.add(f.path);
    const s = byPath.get(f.path);
    if (!s) {
      problems.push({ path: f.path, problem: 'listed in the manifest but missing from the archive' });
      continue;
    }
    if (s.entry.type !== f.type) problems.push({ path: f.path, problem: `manifest says ${f.type}, archive holds ${s.entry.type}` });
    else if (f.type === 'symlink' && s.entry.linkTarget !== f.linkTarget) problems.push({ path: f.path, problem: 'symlink target differs from the manifest', expected: f.linkTarget, actual: s.entry.linkTarget });
    else if (f.type === 'file') {
      checked++;
      if (s.entry.size !== f.size) problems.push({ path: f.path, problem: 'size differs from the manifest', expected: String(f.size), actual: String(s.entry.size) });
      else if (s.sha256 !== f.sha256) problems.push({ path: f.path, problem: 'SHA-256 differs from the manifest', expected: f.sha256, actual: s.sha256 });
    }
  }
  if (hashes === undefined) problems.push({ path: HASHES_NAME, problem: 'hashes.sha256 missing or damaged' });
  else {
    if (manifest) {
      // hashes.sha256 has no hash of its own: it must be exactly what manifest.json lists, plus manifest.json
      const expected = manifest.files.flatMap((f) => (f.type === 'file' && f.sha256 ? [sha256sumLine(f.sha256, f.path)] : [])).join('');
      const own = hashes.split('\n').filter((l) => l && !l.endsWith(`  ${MANIFEST_NAME}`)).map((l) => `${l}\n`).join('');
      if (own !== expected) problems.push({ path: HASHES_NAME, problem: 'does not match the hashes manifest.json lists' });
    }
    const inManifest = new Map((manifest?.files ?? []).map((f) => [f.path, f]));
    for (const [p, sha] of parseSha256sum(hashes)) {
      listed.add(p);
      const m = inManifest.get(p);
      if (m) {
        // the member itself was compared above; here only the two lists must agree
        if (m.sha256 !== sha) problems.push({ path: p, problem: 'hashes.sha256 and manifest.json disagree', expected: m.sha256, actual: sha });
        continue;
      }
      const s = byPath.get(p);
      if (!s) problems.push({ path: p, problem: 'listed in hashes.sha256 but missing from the archive' });
      else if (s.sha256 !== sha) problems.push({ path: p, problem: 'SHA-256 differs from hashes.sha256', expected: sha, actual: s.sha256 });
      else checked++;
    }
  }
  if (manifest) for (const p of byPath.keys()) if (!listed.has(p)) problems.push({ path: p, problem: 'member not listed in the manifest (added after acquisition?)' });

  return {
    file,
    intact: problems.length === 0,
    sha256: summary.sha256,
    expectedSha256,
    ...(manifest ? { host: manifest.host, startedAt: manifest.startedAt } : {}),
    entries: seen.length,
    checked,
    problems,
    warnings,
    notRead: [...(manifest?.skipped ?? []).filter((s) => s.failed).map((s) => ({ path: s.path, reason: s.reason })), ...(manifest?.files ?? []).filter((f) => f.errors?.length).map((f) => ({ path: f.path, reason: f.errors!.join('; ') }))],
  };
}

/** The archive's entries, with the manifest's hash and source where it has them. */
export async function listEvidence(file: string): Promise<LsEntry[]> {
  await open(file);
  const { seen, manifest, hashes, summary } = await scan(file, false);
  if (!manifest && hashes === undefined && !summary.irMembers) throw new UserError(`${file}: not an ir evidence archive (no ${MANIFEST_NAME})`);
  const info = new Map((manifest?.files ?? []).map((f) => [f.path, f]));
  return seen.map(({ entry: e }) => ({
    path: e.path,
    type: e.type,
    size: e.size,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    mtime: new Date(e.mtime * 1000).toISOString(),
    ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
    ...(info.get(e.path)?.sha256 ? { sha256: info.get(e.path)?.sha256 } : {}),
    ...(info.get(e.path)?.source ? { source: info.get(e.path)?.source } : {}),
  }));
}
