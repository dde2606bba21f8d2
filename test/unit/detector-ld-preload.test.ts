import { ldPreload } from '../../src/scan/detectors/ld-preload.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('ld-preload detector', () => {
  it('benign: /etc/environment with PATH and the stock ld.so.conf.d say nothing', async () => {
    const res = await runOn(ldPreload, `${PERSIST}/ld-preload/benign`);
    expect(res.findings).toEqual([]);
  });

  it('malicious: /etc/ld.so.preload with an unowned library, LD_PRELOAD from /dev/shm in profile.d', async () => {
    const res = await runOn(ldPreload, `${PERSIST}/ld-preload/malicious`);
    const crit = atLeast(res, 'critical');
    expect(crit.map((f) => f.rule).sort()).toEqual(['ld-preload.environment', 'ld-preload.preload-file']);
    expect(crit.find((f) => f.rule === 'ld-preload.preload-file')?.reason).toMatch(/not shipped by any package/);
  });
});
