import { initramfs } from '../../src/scan/detectors/initramfs.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('initramfs detector', () => {
  it('benign: a packaged hook and the stock initramfs.conf say nothing', async () => {
    const res = await runOn(initramfs, `${PERSIST}/initramfs/benign`);
    expect(res.findings).toEqual([]);
    expect(res.examined).toBeGreaterThanOrEqual(1);
  });

  it('malicious: a boot script planting a cron job, a dracut module no package ships with a reverse shell', async () => {
    const res = await runOn(initramfs, `${PERSIST}/initramfs/malicious`);
    expect(atLeast(res, 'high').map((f) => [f.path, f.severity]).sort()).toEqual([
      ['/etc/initramfs-tools/scripts/init-bottom/net-tune', 'critical'],
      ['/usr/lib/dracut/modules.d/99netcfg/netcfg.sh', 'critical'],
    ]);
    // the module's setup script says nothing suspicious, but no package ships it
    expect(res.findings.find((f) => f.path === '/usr/lib/dracut/modules.d/99netcfg/module-setup.sh')).toMatchObject({ severity: 'medium', rule: 'initramfs.unowned', attack: 'T1542' });
  });
});
