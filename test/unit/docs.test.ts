import { execFileSync } from 'node:child_process';
import { CHECKS } from '../../src/sweep/registry.js';

// The tables of docs/ (detectors, sweep checks, collection items, auth alerts) are generated from their
// registries by the one generator, scripts/gen-docs.mjs (npm run docs), from the build.
it('every generated doc table equals what its registry renders (npm run docs regenerates them)', () => {
  let err = '';
  try {
    execFileSync(process.execPath, ['scripts/gen-docs.mjs', '--check'], { stdio: 'pipe' });
  } catch (e) {
    err = String((e as { stderr?: Buffer }).stderr ?? e);
  }
  expect(err).toBe('');
});

test('check ids are unique and every check names the guide section it comes from', () => {
  const ids = CHECKS.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const c of CHECKS) {
    expect(c.id).toMatch(/^IR-[A-Z0-9]+-\d{3}$/);
    expect(c.source).toMatch(/Hardening guide|Setup guide/);
  }
});
