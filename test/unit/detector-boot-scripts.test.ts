import { bootScripts } from '../../src/scan/detectors/boot-scripts.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('boot-scripts detector', () => {
  it('benign: the cron init script and its rc2.d link say nothing', async () => {
    expect((await runOn(bootScripts, `${PERSIST}/boot-scripts/benign`)).findings).toEqual([]);
  });
  it('malicious: rc.local starting a hidden binary from /tmp, an unowned enabled init script from a hidden dir', async () => {
    const res = await runOn(bootScripts, `${PERSIST}/boot-scripts/malicious`);
    expect(atLeast(res, 'high').map((f) => f.path).sort()).toEqual(['/etc/init.d/network-helper', '/etc/rc.local']);
    expect(res.findings.find((f) => f.path === '/etc/init.d/network-helper')?.reason).toMatch(/enabled in rc2.d/);
  });
});
