import { aptHookCommands, aptHooks } from '../../src/scan/detectors/apt-hooks.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('apt-hooks detector', () => {
  it('reads multi-line hook blocks', () => {
    expect(aptHookCommands('DPkg::Post-Invoke {\n  "a";\n  "b";\n};\nAPT::Other "x";').map((x) => x.command)).toEqual(['a', 'b']);
  });
  it('benign: update-notifier (package) and docker-clean (image build, unowned) stay below medium', async () => {
    const res = await runOn(aptHooks, `${PERSIST}/apt-hooks/benign`);
    expect(atLeast(res, 'medium')).toEqual([]);
  });
  it('malicious: a Pre-Invoke reverse shell', async () => {
    const res = await runOn(aptHooks, `${PERSIST}/apt-hooks/malicious`);
    expect(atLeast(res, 'critical').map((f) => [f.path, f.attack])).toEqual([['/etc/apt/apt.conf.d/99-update-notify', 'T1546.016']]);
  });
});
