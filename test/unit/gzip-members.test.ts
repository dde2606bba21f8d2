import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EvidenceWriter } from '../../src/evidence/writer.js';
import { MEMBER_SIZE, incompressible, parseMemberHeader } from '../../src/evidence/gzip-members.js';

const text = (n: number) => Buffer.from('2026-01-01T00:00:00Z sshd[42]: Failed password for root from 203.0.113.5 port 2222 ssh2\n'.repeat(Math.ceil(n / 90))).subarray(0, n);

describe('incompressible (members stored instead of deflated)', () => {
  test('random data is, text is not, a small piece never is', () => {
    expect(incompressible(randomBytes(MEMBER_SIZE))).toBe(true);
    expect(incompressible(text(MEMBER_SIZE))).toBe(false);
    expect(incompressible(randomBytes(16 * 1024))).toBe(false);
  });

  test('one compressible window (a tar header, a text file) keeps the member at level 6', () => {
    const b = randomBytes(MEMBER_SIZE);
    text(8192).copy(b, MEMBER_SIZE - 8192); // the last window is text
    expect(incompressible(b)).toBe(false);
  });
});

describe('MemberGzipSink through the writer', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ir-gzm-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('random members are stored, text members deflated; gzip and tar read the whole; sizes stay right', async () => {
    const w = await EvidenceWriter.create({ dir, host: 'h', argv: ['collect'], toolVersion: '0.0.0-test', operator: 'tester' });
    const rnd = randomBytes(3 * MEMBER_SIZE);
    const txt = text(3 * MEMBER_SIZE);
    await w.addBuffer('fs/var/log/rotated.gz', rnd, { source: '/var/log/rotated.gz' });
    await w.addBuffer('fs/var/log/auth.log', txt, { source: '/var/log/auth.log' });
    const res = await w.finish();
    execFileSync('gzip', ['-t', res.path]);
    expect(execFileSync('tar', ['xzf', res.path, '-O', 'fs/var/log/rotated.gz'], { maxBuffer: 1 << 26 }).equals(rnd)).toBe(true);
    expect(execFileSync('tar', ['xzf', res.path, '-O', 'fs/var/log/auth.log'], { maxBuffer: 1 << 26 }).equals(txt)).toBe(true);
    // walk the members: the BTYPE of each one's first deflate block says stored (0) or not
    const file = readFileSync(res.path);
    let stored = 0;
    let deflated = 0;
    for (let off = 0; off < file.length; ) {
      const h = parseMemberHeader(file.subarray(off, off + 24));
      expect(h).not.toBeNull();
      const member = file.subarray(off, off + (h as { compressed: number }).compressed);
      expect(gunzipSync(member).length).toBe((h as { uncompressed: number }).uncompressed);
      if (((member[24] >> 1) & 3) === 0) stored++;
      else deflated++;
      off += member.length;
    }
    expect(stored).toBeGreaterThanOrEqual(2); // the random file's full members
    expect(deflated).toBeGreaterThanOrEqual(3); // the text and the trailer files
    // stored random data costs only block headers; the text still compresses at level 6
    expect(file.length).toBeLessThan(rnd.length * 1.001 + txt.length * 0.05 + 64 * 1024);
  });
});
