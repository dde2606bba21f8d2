import { motd } from '../../src/scan/detectors/motd.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('motd detector', () => {
  it('benign: the stock 10-uname says nothing', async () => {
    expect((await runOn(motd, `${PERSIST}/motd/benign`)).findings).toEqual([]);
  });
  it('malicious: an unowned MOTD script that fetches and runs code', async () => {
    const res = await runOn(motd, `${PERSIST}/motd/malicious`);
    expect(atLeast(res, 'critical').map((f) => [f.path, f.attack])).toEqual([['/etc/update-motd.d/30-sysinfo', 'T1037']]);
  });
});
