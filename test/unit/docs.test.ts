import { execFileSync } from 'node:child_process';

// The detector table of docs/persistence-scan.md is generated from the registry (after npm run build).
it('docs/persistence-scan.md lists exactly the registered detectors', () => {
  expect(() => execFileSync(process.execPath, ['scripts/gen-docs.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
});
