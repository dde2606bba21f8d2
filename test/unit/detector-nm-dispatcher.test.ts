import { nmDispatcher } from '../../src/scan/detectors/nm-dispatcher.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('nm-dispatcher detector', () => {
  it('benign: the package 01-ifupdown says nothing', async () => {
    expect((await runOn(nmDispatcher, `${PERSIST}/nm-dispatcher/benign`)).findings).toEqual([]);
  });
  it('malicious: a dispatcher script downloading and running a file from /tmp', async () => {
    const res = await runOn(nmDispatcher, `${PERSIST}/nm-dispatcher/malicious`);
    expect(atLeast(res, 'high').map((f) => f.path)).toEqual(['/etc/NetworkManager/dispatcher.d/99-tun']);
  });
});
