import { pam, parsePam } from '../../src/scan/detectors/pam.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('pam detector', () => {
  it('parses bracketed controls and optional modules', () => {
    expect(parsePam('-session [success=1 default=ignore] pam_x.so a b\n@include common-auth\n')).toEqual([
      { line: 1, raw: '-session [success=1 default=ignore] pam_x.so a b', type: 'session', control: '[success=1 default=ignore]', module: 'pam_x.so', args: ['a', 'b'] },
    ]);
  });

  it('benign: Debian common-auth (pam_permit after pam_deny) says nothing', async () => {
    const res = await runOn(pam, `${PERSIST}/pam/benign`);
    expect(res.findings).toEqual([]);
  });

  it('malicious: sufficient pam_permit, pam_exec with expose_authtok, an unowned module', async () => {
    const res = await runOn(pam, `${PERSIST}/pam/malicious`);
    expect(atLeast(res, 'high').map((f) => f.rule).sort()).toEqual(['pam.pam-exec', 'pam.permit-auth', 'pam.unowned-module']);
    expect(atLeast(res, 'critical').length).toBe(2);
  });
});
