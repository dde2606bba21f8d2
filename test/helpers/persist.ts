import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { defaultPolicy, type Policy } from '../../src/core/policy.js';
import type { Detector, DetectorResult } from '../../src/scan/detector.js';
import { Facts } from '../../src/scan/facts.js';
import { severityRank, type Finding } from '../../src/core/finding.js';

export const PERSIST = 'test/fixtures/persist';

/** Runs one detector on a fixture root, offline, as `ir persistence-scan --root DIR --deep` would. */
export async function runOn(d: Detector, dir: string, opts: { deep?: boolean; policy?: Policy } = {}): Promise<DetectorResult> {
  const target = await ImageHost.open(dir);
  return d.run({ target, policy: opts.policy ?? defaultPolicy(), deep: opts.deep ?? true, facts: new Facts(target) });
}

export function atLeast(res: { findings: Finding[] }, sev: Finding['severity']): Finding[] {
  return res.findings.filter((f) => severityRank(f.severity) >= severityRank(sev));
}

/** git keeps no SUID bits and no empty files' modes: tests that need them copy the fixture to a temp dir. */
export function tempCopy(dir: string): { root: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'ir-persist-'));
  const root = join(base, 'root');
  cpSync(dir, root, { recursive: true, verbatimSymlinks: true });
  return { root, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
