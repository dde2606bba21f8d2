import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suid } from '../../src/scan/detectors/suid.js';
import { PERSIST, atLeast, runOn, tempCopy } from '../helpers/persist.js';

/** git keeps no SUID bits: the fixture's <root>.modes.json lists them, applied to a temp copy here. */
function withModes(dir: string) {
  const copy = tempCopy(dir);
  const modes = JSON.parse(readFileSync(`${dir}.modes.json`, 'utf8')) as Record<string, string>;
  for (const [p, m] of Object.entries(modes)) chmodSync(join(copy.root, p.replace(/^\/(bin|sbin|lib)\//, '/usr/$1/')), parseInt(m.replace(/^0o/, ''), 8));
  return copy;
}

describe('suid detector', () => {
  it('benign: package-owned sudo and passwd with SUID say nothing, even with --deep', async () => {
    const { root, cleanup } = withModes(`${PERSIST}/suid/benign`);
    try {
      const res = await runOn(suid, root, { deep: true });
      expect(res.findings).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('malicious: a SUID shell copy in /tmp and a helper in a home cache are critical; unowned /usr/local tool with --deep', async () => {
    const { root, cleanup } = withModes(`${PERSIST}/suid/malicious`);
    try {
      const quick = await runOn(suid, root, { deep: false });
      expect(atLeast(quick, 'critical').map((f) => f.path).sort()).toEqual(['/home/deploy/.cache/helper', '/tmp/.x/bash']);
      const deep = await runOn(suid, root, { deep: true });
      expect(atLeast(deep, 'high').map((f) => f.path).sort()).toEqual(['/home/deploy/.cache/helper', '/tmp/.x/bash', '/usr/local/bin/sysmon']);
      expect(deep.findings.every((f) => f.attack === 'T1548.001')).toBe(true);
    } finally {
      cleanup();
    }
  });
});
