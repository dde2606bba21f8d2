import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ScanReport } from '../../src/scan/engine.js';
import { STATE } from '../helpers/services.js';
import { parseJson, runIr } from '../helpers/cli.js';

/**
 * "A clean install stays quiet" (issue 19): a freshly installed Debian 12 server root, built once per test
 * state directory by test/fixtures/debian-root/build.sh (mmdebstrap from the mirror apt already uses,
 * cached in STATE/debian-root), scanned offline with --deep: nothing at high or above, every detector ran.
 * The time is measured in bench/persistence-deep.sh, not here.
 */
const run = promisify(execFile);
let root: string;

beforeAll(async () => {
  const out = await run('bash', ['test/fixtures/debian-root/build.sh', STATE], { timeout: 900_000, maxBuffer: 1 << 20 });
  root = out.stdout.trim().split('\n').pop()!;
}, 900_000);

describe('persistence-scan --deep on a freshly installed Debian 12 server', () => {
  let report: ScanReport;
  beforeAll(async () => {
    const r = await runIr(['persistence-scan', '--root', root, '--deep', '--json'], { timeoutMs: 300_000 });
    report = parseJson<ScanReport>(r);
  }, 300_000);

  it('is a real installed system: dpkg database, kernel command line defaults, maintainer scripts, logs', () => {
    const seen = Object.fromEntries(report.detectors.map((d) => [d.id, d.examined]));
    expect(seen['package-integrity']).toBeGreaterThan(1000);
    expect(seen['packages']).toBeGreaterThan(100);
    expect(seen['grub']).toBeGreaterThan(0);
    expect(seen['dbus']).toBeGreaterThan(0);
    expect(seen['systemd']).toBeGreaterThan(50);
  });

  it('finds nothing at high or above, and no detector failed', () => {
    const loud = report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
    expect(loud.map((f) => `${f.rule} ${f.path} ${f.evidence}`)).toEqual([]);
    expect(report.detectors.filter((d) => d.error)).toEqual([]);
  });

  it('stays quiet at medium too for the second ring (issue 19)', () => {
    const mine = ['dbus', 'grub', 'initramfs', 'packages', 'git', 'tmp-executables', 'webshell', 'xdg-autostart'];
    const medium = report.findings.filter((f) => mine.includes(f.detector) && f.severity !== 'info' && f.severity !== 'low');
    expect(medium.map((f) => `${f.rule} ${f.path}`)).toEqual([]);
  });
});
