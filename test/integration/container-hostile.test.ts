import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJson, runIr } from '../helpers/cli.js';
import { hostileRoot } from '../helpers/hostile.js';

/**
 * Hostile case 80 (test/fixtures/hostile/cases/80-container-layer.sh): a disk whose Docker data root
 * holds a container with escape sequences and newlines in its file names, links that climb out of its
 * tree, and a second container whose layer directory is a link to /etc. Offline scan and collect keep
 * everything inside the container and render it safely.
 */
const WEB = 'hostile-web-1';
const NAME = '/tmp/\u001b[2Jred\nname.sh';
// the disk's own /root/.ssh/authorized_keys (the example's planted key): never the container's
const DISK_KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIBO0CTg';
const out = mkdtempSync(join(tmpdir(), 'irctr-hostile-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface ScanJson {
  findings: { rule: string; severity: string; path?: string; evidence: string; container?: { name: string; project?: string } }[];
  containers: { runs: { name: string; error?: string; notes: string[] }[] };
}

test('offline scan: hostile names found and kept raw in JSON, links resolved inside the container, a linked layer directory refused', async () => {
  const r = await runIr(['persistence-scan', '--root', hostileRoot(), '--json']);
  // findings, and a container that could not be read (plus case 30's sshd line sshd itself rejects): 2, never 1 or 0
  expect(r.code).toBe(2);
  const j = parseJson<ScanJson>(r);
  const mine = j.findings.filter((f) => f.container?.name === WEB);
  expect(mine.find((f) => f.path === NAME)?.severity).toBe('critical');
  expect(mine.find((f) => f.path === '/www/uploads/x\n.php')?.rule).toBe('containers.webshell-request-exec');
  // /root/.ssh/authorized_keys climbs above the container's root: it stays in the container, where it loops
  expect(mine.some((f) => f.evidence.includes(DISK_KEY))).toBe(false);
  expect(mine.find((f) => f.path === '/root/.ssh/authorized_keys')?.evidence).toMatch(/-> (\.\.\/)+root\/\.ssh\/authorized_keys \(a link/);
  const linked = j.containers.runs.find((x) => x.name === 'hostile-linked-1')!;
  expect(linked.error).toBeDefined();
  expect(linked.notes.join(' ')).toMatch(/diff is a link to \/etc, not a layer directory/);

  const human = await runIr(['persistence-scan', '--root', hostileRoot()]);
  expect(human.stdout).toContain('/tmp/\\x1b[2Jred\\nname.sh');
  expect(human.stdout).not.toContain('\u001b[2J');
  expect(human.stdout).toMatch(/1 container\(s\) could not be read.*hostile-linked-1/);
}, 120_000);

test('offline collect: the layer is stored with links as links and hostile names intact; ls renders them escaped', async () => {
  const r = await runIr(['collect', '--root', hostileRoot(), '--out', out, '--json'], { timeoutMs: 300_000 });
  const res = parseJson<{ path: string }>(r);
  const v = await runIr(['evidence', 'verify', res.path]);
  expect(v.code).toBe(0);
  const ls = parseJson<{ entries: { path: string; type: string; linkTarget?: string }[] }>(await runIr(['evidence', 'ls', res.path, '--json']));
  const base = `docker/hostile/${WEB}/layer`;
  const at = (p: string) => ls.entries.find((e) => e.path === `${base}${p}`);
  expect(at(NAME)?.type).toBe('file');
  expect(at('/www/uploads/x\n.php')?.type).toBe('file');
  expect(at('/root/.ssh/authorized_keys')).toMatchObject({ type: 'symlink', linkTarget: '../../../../../../../../../../root/.ssh/authorized_keys' });
  expect(at('/www/uploads/passwd')).toMatchObject({ type: 'symlink', linkTarget: '/etc/passwd' });
  // nothing of the linked container's "layer" (the disk's /etc) was taken
  expect(ls.entries.some((e) => e.path.startsWith('docker/hostile/hostile-linked-1/layer/'))).toBe(false);
  const human = await runIr(['evidence', 'ls', res.path]);
  expect(human.stdout).toContain(`${base}/tmp/\\x1b[2Jred\\nname.sh`);
  expect(human.stdout).not.toContain('\u001b[2J');
}, 300_000);
