import { shellStartup } from '../../src/scan/detectors/shell-startup.js';
import { PERSIST, atLeast, runOn } from '../helpers/persist.js';

describe('shell-startup detector', () => {
  it('benign: stock /etc/profile, bash_completion.sh and skel dotfiles say nothing', async () => {
    const res = await runOn(shellStartup, `${PERSIST}/shell-startup/benign`);
    expect(res.findings).toEqual([]);
    expect(res.examined).toBeGreaterThan(5);
  });

  it('malicious: fetch-exec in profile.d, sudo alias, reverse shell in root .profile', async () => {
    const res = await runOn(shellStartup, `${PERSIST}/shell-startup/malicious`);
    const high = atLeast(res, 'high');
    expect(high.map((f) => f.path).sort()).toEqual(['/etc/profile.d/locale-fix.sh', '/home/deploy/.bash_aliases', '/root/.profile']);
    expect(high.find((f) => f.path === '/home/deploy/.bash_aliases')?.rule).toBe('shell-startup.credential-alias');
    expect(high.every((f) => f.attack === 'T1546.004')).toBe(true);
  });
});
