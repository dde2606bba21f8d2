import { containers } from '../../src/scan/detectors/containers.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('containers detector (offline, from the engine state files)', () => {
  it('benign: a web container with a read-only app bind mount says nothing', async () => {
    const res = await runOn(containers, `${PERSIST}/containers/benign`);
    expect(res.examined).toBe(1);
    expect(res.findings).toEqual([]);
  });

  it('malicious: privileged + / + host pid, and a stopped restart-always container with the docker socket', async () => {
    const res = await runOn(containers, `${PERSIST}/containers/malicious`);
    const crit = atLeast(res, 'critical');
    expect(crit.map((f) => f.details?.service).sort()).toEqual(['agent', 'ops']);
    expect(crit.every((f) => f.attack === 'T1611')).toBe(true);
    expect(crit.find((f) => f.details?.service === 'ops')?.reason).toMatch(/restart policy always/);
  });
});
