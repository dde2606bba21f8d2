import { antiForensics } from '../../src/scan/detectors/anti-forensics.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('anti-forensics detector', () => {
  it('benign: history with content, rotated syslog with content, an empty btmp, a clean wtmp', async () => {
    const res = await runOn(antiForensics, `${PERSIST}/anti-forensics/benign`);
    expect(res.findings).toEqual([]);
  });

  it('malicious: history linked to /dev/null, emptied history, HISTFILE unset, auth.log truncated, zeroed wtmp records', async () => {
    const res = await runOn(antiForensics, `${PERSIST}/anti-forensics/malicious`);
    const byRule = (r: string) => res.findings.filter((f) => f.rule === `anti-forensics.${r}`);
    expect(atLeast(res, 'high').map((f) => f.path)).toEqual(expect.arrayContaining(['/root/.bash_history', '/etc/profile.d/z-hist.sh', '/var/log/wtmp']));
    expect(byRule('history-off').length).toBe(2);
    expect(byRule('history').map((f) => f.path).sort()).toEqual(['/home/deploy/.bash_history', '/root/.bash_history']);
    expect(byRule('truncated-log')[0]).toMatchObject({ path: '/var/log/auth.log', severity: 'medium' });
    expect(byRule('login-records')[0]!.details).toMatchObject({ zeroed: [2, 3] });
  });
});
