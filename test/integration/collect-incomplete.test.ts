import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { sshArgs } from '../helpers/services.js';

/**
 * Issue 15 §5 for collect: an item that exists but could not be read makes the evidence incomplete:
 * said first, exit 2, listed as not read in the manifest and by `ir evidence verify`. An item left out
 * by design (a FIFO) is not a failure: exit 0.
 */
let work: string;
let tree: string;
let profile: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ir-incomplete-'));
  chmodSync(work, 0o755);
  tree = join(work, 'tree');
  mkdirSync(tree);
  chmodSync(tree, 0o755);
  writeFileSync(join(tree, 'readable.txt'), 'anyone can read this\n', { mode: 0o644 });
  // root's alone: the ssh user without sudo cannot read it
  writeFileSync(join(tree, 'secret.txt'), 'root only\n', { mode: 0o600 });
  execFileSync('mkfifo', [join(tree, 'fifo')]);
  // one small item keeps the run short; --include brings the tree
  profile = join(work, 'small.yaml');
  writeFileSync(profile, 'name: small\ndescription: the ssh configuration only\nitems:\n  - config.ssh\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Res {
  path: string;
  skipped: number;
  failed: number;
}

test('a file that exists but cannot be read: INCOMPLETE first, exit 2, the archive kept, verify names it', async () => {
  const out = join(work, 'ssh');
  mkdirSync(out);
  const r = await runIr(['collect', ...sshArgs({ sudo: false }), '--profile', profile, '--include', tree, '--out', out, '--json'], { timeoutMs: 300_000 });
  expect(r.code).toBe(2);
  // the playbook runner takes a step's reason from the last line on stderr
  expect(r.stderr.trim().split('\n').pop()).toMatch(/^ir collect: \d+ item\(s\) exist but could not be read, so the evidence is incomplete/);
  const res = parseJson<Res>(r);
  expect(res.failed).toBeGreaterThanOrEqual(1);
  const v = parseJson<{ intact: boolean; notRead: { path: string; reason: string }[] }>(await runIr(['evidence', 'verify', res.path, '--json']));
  expect(v.intact).toBe(true);
  // named by its host path (refused before a byte was read) or by its entry (a read that failed part way)
  expect(v.notRead).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(new RegExp(`^(fs)?${tree}/secret\\.txt$`)) })]));
  expect(v.notRead.map((s) => s.path)).not.toContain(join(tree, 'fifo'));

  const human = await runIr(['collect', ...sshArgs({ sudo: false }), '--profile', profile, '--include', tree, '--out', out]);
  expect(human.code).toBe(2);
  expect(human.stdout.split('\n')[0]).toMatch(/^INCOMPLETE: \d+ item\(s\) exist but could not be read/);
  const hv = await runIr(['evidence', 'verify', parseJson<Res>(r).path]);
  expect(hv.stdout).toMatch(/could not be read, so the evidence is incomplete:\n(.*\n)*\s+.*secret\.txt: /);
}, 300_000);

test('with sudo everything is read; the FIFO is left out by design and the run is complete (exit 0)', async () => {
  const out = join(work, 'sudo');
  mkdirSync(out);
  const r = await runIr(['collect', ...sshArgs(), '--profile', profile, '--include', tree, '--out', out, '--json'], { timeoutMs: 300_000 });
  expect(r.code).toBe(0);
  const res = parseJson<Res>(r);
  expect(res.failed).toBe(0);
  const log = execFileSync('tar', ['-xzOf', res.path, '--wildcards', '*acquisition.log']).toString('utf8');
  expect(log).toMatch(/fifo: fifo, recorded in the bodyfile, not read/);
  expect(log).not.toMatch(/NOT READ/);
  expect(readFileSync(`${res.path}.sha256`, 'utf8')).toContain(res.path.split('/').pop()!);
}, 300_000);
