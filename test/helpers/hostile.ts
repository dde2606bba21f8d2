import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

let built: string | undefined;

// removed when the test file that built it is done (a temp dir per file, 140 files each, adds up)
afterAll(() => {
  if (built) rmSync(dirname(built), { recursive: true, force: true });
  built = undefined;
});

/**
 * The hostile root of test/fixtures/hostile/build.sh (the example with every hostile case applied),
 * built once per test file into a temp dir. Tests may read it; a test that changes it copies it first.
 */
export function hostileRoot(): string {
  if (!built) {
    const dir = join(mkdtempSync(join(tmpdir(), 'ir-hostile-')), 'root');
    execFileSync('bash', ['test/fixtures/hostile/build.sh', dir], { stdio: 'pipe' });
    built = dir;
  }
  return built;
}
