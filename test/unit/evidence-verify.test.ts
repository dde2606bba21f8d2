import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { EvidenceWriter } from '../../src/evidence/writer.js';
import { listEvidence, verifyEvidence } from '../../src/evidence/verify.js';
import { UserError } from '../../src/core/errors.js';

let dir: string;
let archive: string;
let pristine: Buffer;
const contents: Record<string, Buffer> = {
  'fs/var/log/auth.log': Buffer.from('Jan  1 00:00:01 web-1 sshd[1]: Accepted publickey for deploy from 192.0.2.10 port 50000 ssh2\n'.repeat(200)),
  'fs/var/log/blob.bin': randomBytes(1_500_000),
  'fs/etc/empty': Buffer.alloc(0),
  'fs/var/log/tail.bin': randomBytes(700_000),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ir-ver-'));
  const w = await EvidenceWriter.create({ dir, host: 'web-1', name: 'ev.tar.gz', argv: [], toolVersion: 't' });
  for (const [p, b] of Object.entries(contents)) await w.addBuffer(p, b, { source: '/' + p.slice(3) });
  await w.addSymlink('fs/etc/loop', 'loop', { source: '/etc/loop' });
  archive = (await w.finish()).path;
  pristine = readFileSync(archive);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => writeFileSync(archive, pristine));

describe('verifyEvidence', () => {
  test('an untouched archive is intact', async () => {
    const r = await verifyEvidence(archive);
    expect(r.problems).toEqual([]);
    expect(r.intact).toBe(true);
    expect(r.checked).toBe(6); // 4 files + acquisition.log + manifest.json
    expect(r.expectedSha256).toBe(r.sha256);
  });

  test('ls lists every entry with its manifest hash', async () => {
    const e = await listEvidence(archive);
    expect(e.map((x) => x.path)).toEqual([...Object.keys(contents), 'fs/etc/loop', 'acquisition.log', 'manifest.json', 'hashes.sha256']);
    expect(e.find((x) => x.path === 'fs/etc/loop')?.linkTarget).toBe('loop');
    expect(e[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('one byte flipped inside any member (tar recompressed) names exactly that member', async () => {
    const tar = gunzipSync(pristine);
    for (const e of await listEvidence(archive)) {
      if (e.type !== 'file' || e.size === 0) continue;
      // find the member's data: the header block holding its name, data right after (pax-free names here)
      const at = tar.indexOf(Buffer.from(e.path + '\0')) + 512 + Math.floor(e.size / 2);
      const t = Buffer.from(tar);
      t[at] = (t[at] ?? 0) ^ 0x01;
      writeFileSync(archive, gzipSync(t));
      const r = await verifyEvidence(archive);
      expect(r.intact).toBe(false);
      expect(r.problems.some((p) => p.path === e.path && /SHA-256 differs|does not match/.test(p.problem))).toBe(true);
      expect(r.problems.some((p) => p.path === 'ev.tar.gz' && /archive SHA-256/.test(p.problem))).toBe(true);
    }
  });

  test('one byte flipped in the compressed file names the members it damaged and the others still verify', async () => {
    const flipped = Buffer.from(pristine);
    const at = Math.floor(pristine.length * 0.3);
    flipped[at] = (flipped[at] ?? 0) ^ 0x40;
    writeFileSync(archive, flipped);
    const r = await verifyEvidence(archive);
    expect(r.intact).toBe(false);
    const named = r.problems.filter((p) => p.path.startsWith('fs/')).map((p) => p.path);
    expect(named).toContain('fs/var/log/blob.bin');
    expect(named).not.toContain('fs/var/log/tail.bin');
  });

  test('missing file and non-archives are user errors (exit 2)', async () => {
    await expect(verifyEvidence(join(dir, 'nope.tar.gz'))).rejects.toBeInstanceOf(UserError);
    const junk = join(dir, 'junk.tar.gz');
    writeFileSync(junk, 'hello');
    await expect(verifyEvidence(junk)).rejects.toThrow(/not an ir evidence archive/);
    writeFileSync(junk, gzipSync(Buffer.alloc(1024)));
    await expect(verifyEvidence(junk)).rejects.toThrow(/not an ir evidence archive/);
  });
});
