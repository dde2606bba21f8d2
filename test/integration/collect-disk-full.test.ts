import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvidenceWriter } from '../../src/evidence/writer.js';
import { parseJson, runIr } from '../helpers/cli.js';

/**
 * A real full disk: a 2 MiB tmpfs mounted for the test (the suite runs as root), and an offline
 * root with more incompressible data than fits. Nothing is faked: the kernel says ENOSPC.
 */
let work: string;
let small: string;
let root: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-full-'));
  small = join(work, 'small');
  root = join(work, 'root');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'var/log'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'full-host\n');
  writeFileSync(join(root, 'var/log/syslog'), 'Jan  1 00:00:00 full-host kernel: hello\n'.repeat(1000));
  writeFileSync(join(root, 'var/log/journal.bin'), randomBytes(6 * 1024 * 1024));
});
afterAll(() => {
  try {
    execFileSync('umount', [small]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('disk full while streaming a file: exit 2, .partial removed, nothing under the final name, one error line', async () => {
  const r = await runIr(['collect', '--root', root, '--out', small]);
  expect(r.code).toBe(2);
  expect(readdirSync(small)).toEqual([]);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/no space left on device in .*small after \d+ bytes of archive .*\.tar\.gz\.partial removed, no evidence written/);
  expect(r.stdout).toBe('');
});

test('disk full with --json: exit 2, the error on stderr, nothing written', async () => {
  const r = await runIr(['collect', '--root', root, '--out', small, '--json']);
  expect(r.code).toBe(2);
  expect(readdirSync(small)).toEqual([]);
  expect(r.stderr + r.stdout).toMatch(/no space left on device/);
});

test('the same collection fits once the big file is excluded: the tmpfs itself is usable', async () => {
  const r = await runIr(['collect', '--root', root, '--out', small, '--exclude', '/var/log/journal.bin', '--json']);
  expect(r.code).toBe(0);
  const res = parseJson<{ path: string }>(r);
  const name = res.path.split('/').pop() as string;
  expect(readdirSync(small).sort()).toEqual([name, `${name}.sha256`]);
  expect((await runIr(['evidence', 'verify', res.path])).code).toBe(0);
  rmSync(res.path);
  rmSync(`${res.path}.sha256`);
});

test('disk full while sealing (the last members and the trailer files): finish fails with ENOSPC, nothing left', async () => {
  const w = await EvidenceWriter.create({ dir: small, host: 'full-host', argv: ['collect'], toolVersion: '0.0.0-test', operator: 'tester' });
  for (let i = 0; i < 50; i++) await w.addBuffer(`fs/var/log/app-${i}.log`, randomBytes(2048), { source: `/var/log/app-${i}.log` });
  // take every byte the tmpfs has left, so the trailer files are what no longer fits
  const filler = join(small, 'filler');
  const fd = openSync(filler, 'w');
  for (const chunk of [64 * 1024, 4096, 512, 1]) {
    const b = randomBytes(chunk);
    try {
      for (;;) writeSync(fd, b);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
  }
  closeSync(fd);
  await expect(w.finish()).rejects.toMatchObject({ code: 'ENOSPC' });
  expect(readdirSync(small)).toEqual(['filler']);
  rmSync(filler);
});
