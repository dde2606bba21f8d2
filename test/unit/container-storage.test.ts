/**
 * Where a container's files are, read from a data root on disk as `--root` sees it: overlay2 with the
 * classic image store (mount-id, lower, l/ links), a data root moved by daemon.json, a storage driver
 * we do not read (vfs), a mount-id that names nothing, the containerd image store. Also the pure
 * parsers: cgroup ids, apk's database, the app's directories, what a change touches.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageHost } from '../../src/host/image.js';
import { ReadLog, ReadSet } from '../../src/host/read-log.js';
import { containerInventory, containerIdent, dataRootOf, layersFromGraphDriver } from '../../src/docker/storage.js';
import { cgroupIds } from '../../src/scan/containers/attribution.js';
import { parseApkInstalled } from '../../src/scan/containers/packages.js';
import { appDirs } from '../../src/scan/containers/judge-layer.js';
import { pickContainers, touchedReaders } from '../../src/scan/containers/scan.js';

const base = mkdtempSync(join(tmpdir(), 'ir-ctr-storage-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const hex = (c: string) => c.repeat(64).slice(0, 64);

function container(root: string, dataRoot: string, id: string, o: { name: string; driver?: string; mountId?: string; lower?: string; service?: string }): void {
  const d = join(root, dataRoot);
  mkdirSync(join(d, 'containers', id), { recursive: true });
  writeFileSync(join(d, 'containers', id, 'config.v2.json'), JSON.stringify({ ID: id, Name: `/${o.name}`, Image: `sha256:${hex('9')}`, Driver: o.driver ?? 'overlay2', State: { Running: true, Pid: 4242 }, Config: { Image: 'example/app:1', WorkingDir: '/srv/app', Cmd: ['gunicorn', '--chdir', '/srv/app', 'app:wsgi'], Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': o.service ?? o.name } }, MountPoints: { '/data': { Source: '/var/lib/docker/volumes/x/_data', Destination: '/data', RW: true, Type: 'volume' } } }));
  writeFileSync(join(d, 'containers', id, 'hostconfig.json'), JSON.stringify({ IpcMode: 'private', Tmpfs: { '/run': '' } }));
  if (o.mountId) {
    mkdirSync(join(d, 'image/overlay2/layerdb/mounts', id), { recursive: true });
    writeFileSync(join(d, 'image/overlay2/layerdb/mounts', id, 'mount-id'), o.mountId);
    writeFileSync(join(d, 'image/overlay2/layerdb/mounts', id, 'init-id'), `${o.mountId}-init`);
  }
  if (o.lower !== undefined && o.mountId) {
    mkdirSync(join(d, 'overlay2', o.mountId, 'diff'), { recursive: true });
    writeFileSync(join(d, 'overlay2', o.mountId, 'lower'), o.lower);
  }
}

function layer(root: string, dataRoot: string, id: string, short: string): void {
  const d = join(root, dataRoot, 'overlay2');
  mkdirSync(join(d, id, 'diff'), { recursive: true });
  mkdirSync(join(d, 'l'), { recursive: true });
  symlinkSync(`../${id}/diff`, join(d, 'l', short));
}

test('overlay2: the writable layer, the init layer and the image layers from mount-id, lower and l/', async () => {
  const root = join(base, 'a');
  mkdirSync(join(root, 'etc'), { recursive: true });
  layer(root, 'var/lib/docker', 'm1-init', 'INIT');
  layer(root, 'var/lib/docker', 'img2', 'IMGTWO');
  layer(root, 'var/lib/docker', 'img1', 'IMGONE');
  container(root, 'var/lib/docker', hex('a'), { name: 'shop-web-1', service: 'web', mountId: 'm1', lower: 'l/INIT:l/IMGTWO:l/IMGONE' });
  container(root, 'var/lib/docker', hex('b'), { name: 'odd', driver: 'vfs' });
  container(root, 'var/lib/docker', hex('c'), { name: 'gone', mountId: 'nothing-here' });
  const inv = await containerInventory(await ImageHost.open(root));
  expect(inv).toMatchObject({ source: 'disk', dataRoot: '/var/lib/docker', imageStore: 'classic' });
  const by = Object.fromEntries(inv.containers.map((c) => [c.name, c]));
  expect(by['shop-web-1']).toMatchObject({
    project: 'shop',
    service: 'web',
    pid: 0, // offline: no process, whatever the state said at capture time
    running: true,
    workingDir: '/srv/app',
    tmpfs: ['/dev/shm', '/run'],
    layers: { upper: '/var/lib/docker/overlay2/m1/diff', init: '/var/lib/docker/overlay2/m1-init/diff', image: ['/var/lib/docker/overlay2/img2/diff', '/var/lib/docker/overlay2/img1/diff'] },
  });
  expect(by['shop-web-1']!.mounts).toEqual([{ type: 'volume', source: '/var/lib/docker/volumes/x/_data', destination: '/data', rw: true }]);
  expect(by.odd!.layers).toBeUndefined();
  expect(by.odd!.layersMissing).toMatch(/storage driver vfs is not read directly \(only overlay2 is\)/);
  expect(by.gone!.layersMissing).toMatch(/layer directory cannot be read/);
  expect(containerIdent(by['shop-web-1']!)).toBe('shop/web');
});

test('daemon.json moves the data root; the containerd image store is detected and named', async () => {
  const root = join(base, 'b');
  mkdirSync(join(root, 'etc/docker'), { recursive: true });
  writeFileSync(join(root, 'etc/docker/daemon.json'), JSON.stringify({ 'data-root': '/srv/docker', features: { 'containerd-snapshotter': true } }));
  container(root, 'srv/docker', hex('d'), { name: 'new-engine' });
  const t = await ImageHost.open(root);
  expect(await dataRootOf(t)).toMatchObject({ dataRoot: '/srv/docker', containerdStore: true });
  const inv = await containerInventory(t);
  expect(inv.imageStore).toBe('containerd');
  expect(inv.notes.join(' ')).toMatch(/containerd image store is in use .*not read offline/);
  expect(inv.containers[0]!.layersMissing).toMatch(/containerd image store/);
});

test("inspect's GraphDriver: LowerDir begins with the init layer", () => {
  expect(layersFromGraphDriver({ Name: 'overlay2', Data: { UpperDir: '/d/o/x/diff', LowerDir: '/d/o/x-init/diff:/d/o/a/diff:/d/o/b/diff' } })).toEqual({ upper: '/d/o/x/diff', init: '/d/o/x-init/diff', image: ['/d/o/a/diff', '/d/o/b/diff'] });
  expect(layersFromGraphDriver({ Name: 'overlayfs', Data: null })).toBeNull();
});

test('cgroup ids in every layout docker uses (v1, v2 scope units, a custom cgroup parent)', () => {
  const id = hex('e');
  expect(cgroupIds(`12:pids:/docker/${id}\n`)).toEqual([id]);
  expect(cgroupIds(`0::/system.slice/docker-${id}.scope\n`)).toEqual([id]);
  expect(cgroupIds(`9:name=systemd:/irtest-docker/${id}\n`)).toEqual([id]);
  expect(cgroupIds('0::/user.slice/user-1000.slice/session-3.scope\n')).toEqual([]);
});

test("apk's installed database: files by package with their SHA-1", () => {
  const db = parseApkInstalled('P:busybox\nV:1.36\nF:bin\nR:busybox\nZ:Q1AAECAwQFBgcICQoLDA0ODxAREhM=\nR:sh\n\nP:musl\nF:lib\nR:ld-musl-x86_64.so.1\nZ:Q1FBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n');
  expect(db.get('/bin/busybox')).toEqual({ pkg: 'busybox', sha1: '000102030405060708090a0b0c0d0e0f10111213' });
  expect(db.get('/bin/sh')).toBeUndefined();
  expect(db.get('/lib/ld-musl-x86_64.so.1')?.pkg).toBe('musl');
});

test("the app's directories: working directory, usual web roots, paths in its command", () => {
  const dirs = appDirs({ workingDir: '/srv/app', command: ['sh', '-c', 'exec httpd -f -p 8080 -h /www --conf=/etc/httpd.conf'] });
  expect(dirs).toEqual(expect.arrayContaining(['/srv/app', '/www', '/var/www']));
  expect(dirs).not.toContain('/etc/httpd.conf');
  expect(dirs).not.toContain('/etc');
});

test('what a change touches: the detector that read or listed there, everything when a shared fact changed', () => {
  const log = new ReadLog();
  const set = (id: string) => {
    const s = new ReadSet();
    log.sets.set(id, s);
    return s;
  };
  set('cron').add('listed', '/var/spool/cron/crontabs');
  set('webshell').add('listed', '/var/www');
  set('').add('read', '/etc/passwd');
  const ch = (path: string, kind: 'added' | 'changed' | 'deleted' = 'added') => ({ path, kind, where: 'layer' as const, stat: { type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 0, atime: 0 } });
  expect([...touchedReaders(log, [ch('/var/spool/cron/crontabs/root')], [])]).toEqual(['cron']);
  expect([...touchedReaders(log, [ch('/tmp/started')], [])]).toEqual([]);
  expect([...touchedReaders(log, [ch('/etc/passwd', 'changed')], [])]).toEqual(['']);
  // a volume where the image's scan never looked changes nothing it read; one over a web root it walked does
  expect([...touchedReaders(log, [], ['/var/www/uploads'])]).toEqual([]);
  expect([...touchedReaders(log, [], ['/var/www'])]).toEqual(['webshell']);
});

test('--container picks by name, id or Compose project/service; an unknown one is a user error naming the others', () => {
  const c = (name: string, id: string, service?: string) => ({ name, id, project: service ? 'shop' : undefined, service }) as never;
  const all = [c('shop-web-1', hex('1'), 'web'), c('shop-web-2', hex('2'), 'web'), c('miner', hex('3'))];
  expect(pickContainers(all, ['miner']).length).toBe(1);
  expect(pickContainers(all, ['shop/web']).length).toBe(2);
  expect(pickContainers(all, [hex('2').slice(0, 12)]).length).toBe(1);
  expect(() => pickContainers(all, ['nope'])).toThrow(/--container nope: no such container/);
});
