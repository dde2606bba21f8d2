import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { compareBaseline, driftingFindings, parseBaseline, saveBaseline } from '../../src/scan/baseline.js';
import { runScan } from '../../src/scan/engine.js';
import { PERSIST } from '../helpers/persist.js';

const ONLY = ['systemd', 'privilege', 'shell-startup'];

describe('baselines', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ir-baseline-'));
    cpSync(`${PERSIST}/systemd/malicious`, join(dir, 'root'), { recursive: true, verbatimSymlinks: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const scan = async () => runScan(await ImageHost.open(join(dir, 'root')), defaultPolicy(), { only: ONLY });

  it('saves keys and content hashes only, the same file twice from the same state', async () => {
    const a = saveBaseline(await scan());
    const b = saveBaseline(await scan());
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(parseBaseline(JSON.stringify(a))).toEqual(a);
  });

  it('reports new, changed and gone against the accepted file, and keeps reporting until accepted', async () => {
    const accepted = saveBaseline(await scan());
    // change one unit, add a sudoers file, remove the generator
    writeFileSync(join(dir, 'root/etc/systemd/system/apt-refresh.service'), '[Service]\nExecStart=/var/tmp/.cache/refresh --now\n');
    writeFileSync(join(dir, 'root/etc/sudoers.d/50-ops'), 'ops ALL=(ALL) NOPASSWD: ALL\n');
    rmSync(join(dir, 'root/usr/lib/systemd/system-generators/net-fixup'));
    for (let i = 0; i < 2; i++) {
      const cmp = compareBaseline(await scan(), accepted);
      expect(cmp.findings.find((f) => f.path === '/etc/systemd/system/apt-refresh.service')?.drift).toBe('changed');
      expect(cmp.findings.find((f) => f.path === '/etc/sudoers.d/50-ops')?.drift).toBe('new');
      expect(cmp.gone.map((g) => g.path)).toEqual(['/usr/lib/systemd/system-generators/net-fixup']);
      expect(driftingFindings(cmp).map((f) => f.path).sort()).toEqual(['/etc/sudoers.d/50-ops', '/etc/systemd/system/apt-refresh.service']);
      expect(cmp.counts.unchanged).toBeGreaterThan(3);
    }
  });

  it('a detector that did not run does not make its entries gone', async () => {
    const accepted = saveBaseline(await scan());
    const cmp = compareBaseline(await runScan(await ImageHost.open(join(dir, 'root')), defaultPolicy(), { only: ['privilege'] }), accepted);
    expect(cmp.gone).toEqual([]);
  });

  it('rejects a file that is not a baseline', () => {
    expect(() => parseBaseline('{"findings":[]}', 'x.json')).toThrow(/x.json: not an ir persistence baseline/);
  });
});
