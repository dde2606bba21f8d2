import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local.js';
import { defaultPolicy } from '../../src/core/policy.js';
import { Facts } from '../../src/scan/facts.js';
import { tmpExecutables } from '../../src/scan/detectors/tmp-executables.js';
import { hostileRoot } from '../helpers/hostile.js';
import { PERSIST, runOn } from '../helpers/persist.js';

describe('tmp-executables detector', () => {
  it('benign: notes and empty files in the temporary directories say nothing', async () => {
    expect((await runOn(tmpExecutables, `${PERSIST}/tmp-executables/benign`)).findings).toEqual([]);
  });

  it('malicious: an ELF file in a hidden /dev/shm directory and a script in /var/tmp are medium offline (whether they run is unknown)', async () => {
    const res = await runOn(tmpExecutables, `${PERSIST}/tmp-executables/malicious`);
    expect(res.findings.map((f) => [f.path, f.severity, f.rule, f.attack]).sort()).toEqual([
      ['/dev/shm/.x/kworker', 'medium', 'tmp-executables.elf', 'T1564.001'],
      ['/var/tmp/.cache/upd', 'medium', 'tmp-executables.script', 'T1105'],
    ]);
    expect(res.findings[0]!.reason).toMatch(/whether it runs is unknown/);
  });

  it('a program running from a hidden directory of /dev/shm is critical on the live host', async () => {
    const dir = mkdtempSync('/dev/shm/ir-ring2-');
    const prog = join(dir, '.x', 'kworker');
    mkdirSync(join(dir, '.x'));
    copyFileSync('/bin/sleep', prog);
    chmodSync(prog, 0o755);
    writeFileSync(join(dir, 'readme.txt'), 'not a program\n');
    const child = spawn(prog, ['60'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const target = new LocalHost();
      const res = await tmpExecutables.run({ target, policy: defaultPolicy(), deep: false, facts: new Facts(target) });
      const f = res.findings.find((x) => x.path === prog);
      expect(f).toMatchObject({ severity: 'critical', rule: 'tmp-executables.running', pid: child.pid });
      expect(res.findings.find((x) => x.path === join(dir, 'readme.txt'))).toBeUndefined();
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('hostile case 91: a program named with ANSI escapes and a newline is reported with its raw name; a hidden /var/tmp script too', async () => {
    const res = await runOn(tmpExecutables, hostileRoot());
    expect(res.findings.map((f) => [f.path, f.severity]).sort()).toEqual([
      ['/dev/shm/.x/k\u001b[2Jworker\nd', 'medium'],
      ['/var/tmp/.font-cache/fc', 'medium'],
    ]);
  });
});
