import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let built: string | undefined;

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
