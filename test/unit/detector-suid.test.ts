import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suid } from '../../src/scan/detectors/suid.js';
import { decodeFileCaps } from '../../src/host/facts/capability.js';
import { parseStatoverride } from '../../src/host/facts/dpkg.js';
import { ImageHost } from '../../src/host/image.js';
import { PERSIST, atLeast, runOn, withModes } from '../helpers/persist.js';

describe('suid detector', () => {
  it('benign: package-owned sudo and passwd with SUID say nothing, a dpkg-statoverride and a harmless capability are listed, even with --deep', async () => {
    const { root, cleanup } = withModes(`${PERSIST}/suid/benign`);
    try {
      const res = await runOn(suid, root, { deep: true });
      expect(atLeast(res, 'medium')).toEqual([]);
      expect(res.findings.map((f) => [f.path, f.severity]).sort()).toEqual([
        ['/usr/sbin/cron', 'low'],
        ['/usr/sbin/logrotate', 'info'],
      ]);
      expect(res.findings.find((f) => f.path === '/usr/sbin/logrotate')?.reason).toMatch(/dpkg-statoverride/);
      expect(res.findings.find((f) => f.path === '/usr/sbin/cron')?.title).toMatch(/cap_net_bind_service=ep/);
      expect(res.warnings.filter((w) => /not readable on this target/.test(w.message))).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('malicious: SUID shell copies in tmp and home, a setuid cat (GTFOBins), cap_setuid on python are critical; a bit logrotate does not ship is high', async () => {
    const { root, cleanup } = withModes(`${PERSIST}/suid/malicious`);
    try {
      const quick = await runOn(suid, root, { deep: false });
      expect(atLeast(quick, 'critical').map((f) => f.path).sort()).toEqual(['/home/deploy/.cache/helper', '/tmp/.x/bash', '/usr/bin/cat', '/usr/bin/python3.11']);
      expect(quick.findings.find((f) => f.path === '/usr/bin/cat')?.reason).toMatch(/GTFOBins/);
      expect(quick.findings.find((f) => f.path === '/usr/bin/python3.11')).toMatchObject({ rule: 'suid.capabilities', title: expect.stringContaining('cap_setuid=ep') });
      expect(quick.findings.find((f) => f.path === '/usr/sbin/logrotate')).toMatchObject({ severity: 'high', reason: expect.stringMatching(/logrotate ships .* without this bit/) });
      const deep = await runOn(suid, root, { deep: true });
      expect(atLeast(deep, 'high').map((f) => f.path).sort()).toEqual(['/home/deploy/.cache/helper', '/tmp/.x/bash', '/usr/bin/cat', '/usr/bin/python3.11', '/usr/local/bin/sysmon', '/usr/sbin/logrotate']);
      expect(deep.findings.filter((f) => f.rule === 'suid.setuid').every((f) => f.attack === 'T1548.001')).toBe(true);
      // the stock set-id files of the base (sudo, passwd) stay quiet
      expect(deep.findings.filter((f) => ['/usr/bin/sudo', '/usr/bin/passwd'].includes(f.path ?? ''))).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('offline without getfattr: says capabilities were not checked, never "not readable on this target"', async () => {
    const { root, cleanup } = withModes(`${PERSIST}/suid/malicious`);
    const path = process.env.PATH;
    try {
      process.env.PATH = '/nonexistent';
      const res = await suid.run({ target: await ImageHost.open(root), policy: (await import('../../src/core/policy.js')).defaultPolicy(), deep: false, facts: new (await import('../../src/scan/facts.js')).Facts(await ImageHost.open(root)) });
      expect(res.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/file capabilities not checked: extended attributes \(getfattr is not installed/));
      expect(res.unread?.map((u) => u.reason)).toContainEqual(expect.stringMatching(/getfattr is not installed/));
    } finally {
      process.env.PATH = path;
      cleanup();
    }
  });

  it('decodes vfs_cap_data as getcap prints it, and reads dpkg-statoverride', () => {
    expect(decodeFileCaps(Buffer.from('0100000280200000000000000000000000000000', 'hex'))?.text).toBe('cap_setuid,cap_net_raw=ep');
    expect(decodeFileCaps(Buffer.from('000000030020000000000000000000000000000000000000', 'hex'))).toMatchObject({ permitted: ['cap_net_raw'], effective: false, text: 'cap_net_raw=p', rootid: 0 });
    expect(decodeFileCaps(Buffer.from('00', 'hex'))).toBeNull();
    expect(parseStatoverride('root crontab 2755 /usr/bin/crontab\nbad line\n')).toEqual([{ user: 'root', group: 'crontab', mode: 0o2755, path: '/usr/bin/crontab', line: 1 }]);
  });

  it('a set-id file in a program directory is judged on the quick scan too', async () => {
    const { root, cleanup } = withModes(`${PERSIST}/suid/benign`);
    try {
      mkdirSync(join(root, 'usr/local/sbin'), { recursive: true });
      writeFileSync(join(root, 'usr/local/sbin/vim.basic'), '\x7fELF fake vim\n', { mode: 0o4755 });
      const res = await runOn(suid, root, { deep: false });
      expect(atLeast(res, 'critical').map((f) => f.path)).toEqual(['/usr/local/sbin/vim.basic']);
    } finally {
      cleanup();
    }
  });
});
