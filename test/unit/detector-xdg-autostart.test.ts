import { desktopCommand, xdgAutostart } from '../../src/scan/detectors/xdg-autostart.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('xdg-autostart detector', () => {
  it('drops the field codes of Exec=', () => {
    expect(desktopCommand('/usr/local/bin/print-applet --tray %u %F')).toBe('/usr/local/bin/print-applet --tray');
  });
  it('benign: the packaged at-spi entry says nothing', async () => {
    expect((await runOn(xdgAutostart, `${PERSIST}/xdg-autostart/benign`)).findings).toEqual([]);
  });
  it('malicious: a system entry running a hidden program in a home, a user entry fetching code, a harmless-looking entry whose script is a reverse shell', async () => {
    const res = await runOn(xdgAutostart, `${PERSIST}/xdg-autostart/malicious`);
    expect(atLeast(res, 'high').map((f) => f.path).sort()).toEqual([
      '/etc/xdg/autostart/gnome-keyring-helper.desktop',
      '/home/deploy/.config/autostart/update.desktop',
      '/usr/local/bin/print-applet',
    ]);
    // the .desktop file alone says little: it is the payload that is critical, by content
    expect(res.findings.find((f) => f.path === '/etc/xdg/autostart/print-applet.desktop')?.severity).toBe('low');
    expect(res.findings.find((f) => f.path === '/usr/local/bin/print-applet')).toMatchObject({ severity: 'critical', rule: 'xdg-autostart.reverse-shell', attack: 'T1547.013' });
  });
});
