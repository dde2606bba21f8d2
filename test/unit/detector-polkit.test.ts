import { judgeRules, polkit } from '../../src/scan/detectors/polkit.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('polkit detector', () => {
  it('tells a conditional grant from an unconditional one', () => {
    expect(judgeRules('polkit.addRule(function(a, s) { if (s.isInGroup("ops")) return polkit.Result.YES; });')?.severity).toBe('info');
    expect(judgeRules('polkit.addRule(function(a, s) { return polkit.Result.YES; });')?.severity).toBe('high');
  });
  it('benign: the default admin rule says nothing', async () => {
    expect((await runOn(polkit, `${PERSIST}/polkit/benign`)).findings).toEqual([]);
  });
  it('malicious: YES for everything in rules.d and a pkla granting every action to every user', async () => {
    const res = await runOn(polkit, `${PERSIST}/polkit/malicious`);
    expect(atLeast(res, 'high').map((f) => f.path).sort()).toEqual(['/etc/polkit-1/localauthority/50-local.d/allow.pkla', '/etc/polkit-1/rules.d/00-allow.rules']);
  });
});
