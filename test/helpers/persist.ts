import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * A temp copy of a fixture root with what git cannot keep applied: the set-id modes of <root>.modes.json
 * and the file capabilities of <root>.caps.json (setcap, so the test runs as root with libcap2-bin).
 */
export function withModes(dir: string): { root: string; cleanup: () => void } {
  const copy = tempCopy(dir);
  const local = (p: string) => join(copy.root, p.replace(/^\/(bin|sbin|lib)\//, '/usr/$1/'));
  const modes = JSON.parse(readFileSync(`${dir}.modes.json`, 'utf8')) as Record<string, string>;
  for (const [p, m] of Object.entries(modes)) chmodSync(local(p), parseInt(m.replace(/^0o/, ''), 8));
  if (existsSync(`${dir}.caps.json`)) {
    const caps = JSON.parse(readFileSync(`${dir}.caps.json`, 'utf8')) as Record<string, string>;
    for (const [p, c] of Object.entries(caps)) execFileSync('setcap', [c, local(p)]);
  }
  return copy;
}
