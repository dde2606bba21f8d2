import { udev, udevCommands } from '../../src/scan/detectors/udev.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('udev detector', () => {
  it('extracts RUN and PROGRAM values', () => {
    expect(udevCommands('ACTION=="add", RUN+="/bin/x a", PROGRAM="/bin/y"\n# RUN+="/no"').map((x) => x.command)).toEqual(['/bin/x a', '/bin/y']);
  });
  it('benign: package rules with RUN+= of packaged helpers say nothing', async () => {
    expect((await runOn(udev, `${PERSIST}/udev/benign`)).findings).toEqual([]);
  });
  it('malicious: an unowned rule running a hidden program from /var/tmp on every network device', async () => {
    const res = await runOn(udev, `${PERSIST}/udev/malicious`);
    expect(atLeast(res, 'high').map((f) => [f.path, f.attack])).toEqual([['/etc/udev/rules.d/75-net-helper.rules', 'T1546.017']]);
  });
});
