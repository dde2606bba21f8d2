import { kernelModules } from '../../src/scan/detectors/kernel-modules.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('kernel-modules detector', () => {
  it('benign: stock /etc/modules, blacklist with install /bin/true say nothing', async () => {
    expect((await runOn(kernelModules, `${PERSIST}/kernel-modules/benign`)).findings).toEqual([]);
  });
  it('malicious: diamorphine in modules-load.d, a modprobe install line running /tmp code', async () => {
    const res = await runOn(kernelModules, `${PERSIST}/kernel-modules/malicious`);
    expect(atLeast(res, 'high').map((f) => f.rule).sort()).toEqual(['kernel-modules.rootkit-module', 'kernel-modules.writable-dir']);
  });
});
