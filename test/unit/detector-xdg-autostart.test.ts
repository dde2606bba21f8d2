import { xdgAutostart } from '../../src/scan/detectors/xdg-autostart.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('xdg-autostart detector', () => {
  it('benign: the packaged at-spi entry says nothing', async () => {
    expect((await runOn(xdgAutostart, `${PERSIST}/xdg-autostart/benign`)).findings).toEqual([]);
  });
  it('malicious: a system entry running a hidden program in a home, a user entry fetching code', async () => {
    const res = await runOn(xdgAutostart, `${PERSIST}/xdg-autostart/malicious`);
    expect(atLeast(res, 'high').map((f) => f.path).sort()).toEqual(['/etc/xdg/autostart/gnome-keyring-helper.desktop', '/home/deploy/.config/autostart/update.desktop']);
  });
});
