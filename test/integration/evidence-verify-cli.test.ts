import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';

test('evidence verify says when the archive as a whole could not be verified (no .sha256 beside it)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'ir-verify-cli-'));
  const c = await runIr(['collect', '--root', 'examples/compromised-host', '--out', out, '--json']);
  expect(c.code).toBe(0);
  const { path, sha256 } = parseJson<{ path: string; sha256: string }>(c);
  const ok = await runIr(['evidence', 'verify', path]);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/: intact \(\d+ members checked, archive sha256 [0-9a-f]{64} matches its \.sha256\)/);

  rmSync(`${path}.sha256`);
  const alone = await runIr(['evidence', 'verify', path]);
  expect(alone.code).toBe(0);
  expect(alone.stdout).not.toMatch(/: intact \(/);
  expect(alone.stdout).toMatch(/members intact .* but the archive as a whole was NOT verified: there is no ir-.*\.tar\.gz\.sha256 beside it/);
  expect(alone.stdout).toContain(`Its sha256 is ${sha256}`);

  writeFileSync(`${path}.sha256`, `${'0'.repeat(64)}  ${path.split('/').pop()}\n`);
  const wrong = await runIr(['evidence', 'verify', path]);
  expect(wrong.code).toBe(1);
  expect(wrong.stdout).toMatch(/archive SHA-256 differs from its \.sha256 file/);
  expect(readdirSync(out).filter((n) => n.endsWith('.partial'))).toEqual([]);
  rmSync(out, { recursive: true, force: true });
});
