import { posix } from 'node:path';
import type { Target } from '../host/target.js';
import { NotAvailable, TargetError, listOrEmpty, readTextOrNull } from '../host/target.js';
import { DockerUnavailable, dockerOk } from './cli.js';

/**
 * Where each container's files are: Docker's own records of its containers and their storage, read
 * from the engine (`docker inspect`, live) or from its data root on disk (offline, or no client).
 *
 * Supported: the overlay2 storage driver with the classic image store. A container's writable layer is
 * `overlay2/<mount-id>/diff` (mount-id from `image/overlay2/layerdb/mounts/<id>/mount-id`), its `lower`
 * file names the init layer and the image's layers (`l/<short>` links to `../<layer>/diff`).
 * Anything else (vfs, btrfs, zfs, devicemapper, fuse-overlayfs, the containerd image store of
 * Docker 24+ where layers live under /var/lib/containerd) is detected and named, and its containers are
 * read another way where one exists (a running container's /proc/PID/root, `docker diff`, `docker cp`).
 */

export const DEFAULT_DATA_ROOT = '/var/lib/docker';

export interface ContainerMount {
  type: string;
  source: string;
  destination: string;
  rw: boolean;
}

export interface ContainerLayers {
  /** the writable layer (overlay2 `diff` directory), a path on the target */
  upper: string;
  /** the container's init layer (empty /etc/hosts, /etc/resolv.conf, /.dockerenv placeholders) */
  init?: string;
  /** the image's layers, top first */
  image: string[];
}

export interface ContainerRecord {
  id: string;
  name: string;
  /** the image as the container names it (Config.Image) */
  image: string;
  /** the image id (sha256:…): containers with the same one share their image layers */
  imageId: string;
  project?: string;
  service?: string;
  labels: Record<string, string>;
  state: string;
  running: boolean;
  paused: boolean;
  /** pid of the container's init on the host, 0 when not running */
  pid: number;
  workingDir?: string;
  /** entrypoint and command: the app's paths are often named here (`httpd -h /www`) */
  command: string[];
  mounts: ContainerMount[];
  /** tmpfs mount points (HostConfig.Tmpfs, --mount type=tmpfs, and /dev/shm where the container has its own) */
  tmpfs: string[];
  /** restart policy name (always, unless-stopped, on-failure, no or empty) */
  restart: string;
  privileged: boolean;
  /** `host` when it shares the host's PID namespace */
  pidMode: string;
  networkMode: string;
  capAdd: string[];
  /** storage driver (overlay2, vfs, overlayfs for the containerd snapshotter…) */
  driver: string;
  layers?: ContainerLayers;
  /** why `layers` is absent */
  layersMissing?: string;
  /** the layer directories are simply not there (a captured disk without them): nothing to read, not a failure */
  layersAbsent?: boolean;
}

export interface Inventory {
  /** `docker` (engine asked) or `disk` (data root read) */
  source: 'docker' | 'disk';
  dataRoot: string;
  /** classic (graph driver) or containerd (Docker's containerd image store) */
  imageStore: 'classic' | 'containerd';
  containers: ContainerRecord[];
  notes: string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/** The fields we use, from `docker inspect` (hostConfig = HostConfig) or config.v2.json + hostconfig.json. */
export function containerRecordFrom(cfg: Json, hostConfig: Json): Omit<ContainerRecord, 'driver' | 'layers' | 'layersMissing' | 'layersAbsent'> & { driver: string } {
  const config = obj(cfg.Config);
  const state = obj(cfg.State);
  const labels = Object.fromEntries(Object.entries(obj(config.Labels)).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const mounts: ContainerMount[] = [];
  const push = (m: ContainerMount) => {
    if (m.destination && !mounts.some((x) => x.destination === m.destination)) mounts.push(m);
  };
  // HostConfig.Binds (`/src:/dest[:opts]`), inspect's Mounts[], config.v2.json's MountPoints{dest: {...}}
  for (const b of strs(hostConfig.Binds)) {
    const [source, destination, o] = b.split(':');
    if (source?.startsWith('/')) push({ type: 'bind', source, destination: destination ?? '', rw: !/(^|,)ro(,|$)/.test(o ?? '') });
  }
  for (const m of [...(Array.isArray(cfg.Mounts) ? (cfg.Mounts as Json[]) : []), ...Object.values(obj(cfg.MountPoints)).map(obj)]) {
    push({ type: str(m.Type) || 'bind', source: str(m.Source), destination: str(m.Destination), rw: m.RW !== false });
  }
  const tmpfs = new Set(Object.keys(obj(hostConfig.Tmpfs)));
  for (const m of Array.isArray(hostConfig.Mounts) ? (hostConfig.Mounts as Json[]) : []) if (str(m.Type) === 'tmpfs') tmpfs.add(str(m.Target));
  for (const m of mounts) if (m.type === 'tmpfs') tmpfs.add(m.destination);
  const ipc = str(hostConfig.IpcMode);
  if (ipc === '' || ipc === 'private' || ipc === 'shareable') tmpfs.add('/dev/shm');
  const status = str(state.Status) || (state.Running ? (state.Paused ? 'paused' : 'running') : 'exited');
  return {
    id: str(cfg.Id) || str(cfg.ID),
    name: str(cfg.Name).replace(/^\//, ''),
    image: str(config.Image),
    imageId: str(cfg.Image),
    project: labels['com.docker.compose.project'],
    service: labels['com.docker.compose.service'],
    labels,
    state: status,
    running: Boolean(state.Running),
    paused: Boolean(state.Paused),
    pid: typeof state.Pid === 'number' ? state.Pid : 0,
    workingDir: str(config.WorkingDir) || undefined,
    command: [...strs(config.Entrypoint), ...strs(config.Cmd)],
    mounts,
    tmpfs: [...tmpfs].filter(Boolean).sort(),
    restart: str(obj(hostConfig.RestartPolicy).Name),
    privileged: hostConfig.Privileged === true,
    pidMode: str(hostConfig.PidMode),
    networkMode: str(hostConfig.NetworkMode),
    capAdd: strs(hostConfig.CapAdd),
    driver: str(cfg.Driver) || str(obj(cfg.GraphDriver).Name),
  };
}

/** overlay2's `LowerDir` of inspect: `…-init/diff:…/diff`, the init layer first. */
export function layersFromGraphDriver(gd: Json): ContainerLayers | null {
  const data = obj(gd.Data);
  const upper = str(data.UpperDir);
  if (!upper) return null;
  const lower = str(data.LowerDir).split(':').filter(Boolean);
  const init = lower[0]?.endsWith('-init/diff') ? lower.shift() : undefined;
  return { upper, init, image: lower };
}

/** `--data-root` (or the old `graph`) of daemon.json; the default when it names none. */
export async function dataRootOf(t: Target): Promise<{ dataRoot: string; containerdStore: boolean; note?: string }> {
  const text = await readTextOrNull(t, '/etc/docker/daemon.json').catch(() => null);
  if (!text) return { dataRoot: DEFAULT_DATA_ROOT, containerdStore: false };
  try {
    const j = obj(JSON.parse(text));
    const root = str(j['data-root']) || str(j.graph);
    const containerdStore = obj(j.features)['containerd-snapshotter'] === true;
    return { dataRoot: root.startsWith('/') ? posix.normalize(root) : DEFAULT_DATA_ROOT, containerdStore };
  } catch (err) {
    return { dataRoot: DEFAULT_DATA_ROOT, containerdStore: false, note: `/etc/docker/daemon.json is not JSON (${(err as Error).message}); ${DEFAULT_DATA_ROOT} assumed` };
  }
}

/** overlay2 layers from the data root: layerdb mount-id, the `lower` file and its `l/` links. */
export async function overlay2Layers(t: Target, dataRoot: string, id: string): Promise<ContainerLayers> {
  const mountDir = `${dataRoot}/image/overlay2/layerdb/mounts/${id}`;
  const mountId = (await readTextOrNull(t, `${mountDir}/mount-id`, { maxBytes: 4096 }))?.trim();
  if (!mountId) throw new TargetError('ENOENT', `${mountDir}/mount-id: missing`, `${mountDir}/mount-id`);
  if (!/^[A-Za-z0-9_-]+$/.test(mountId)) throw new TargetError('IO', `${mountDir}/mount-id: not a layer id`, `${mountDir}/mount-id`);
  const base = `${dataRoot}/overlay2`;
  const upper = `${base}/${mountId}/diff`;
  const lowerText = (await readTextOrNull(t, `${base}/${mountId}/lower`, { maxBytes: 1 << 20 }))?.trim() ?? '';
  const dirs: string[] = [];
  for (const l of lowerText.split(':').filter(Boolean)) {
    // `l/SHORT` is a link `../<layer id>/diff`; resolved by hand so it can only name a layer of this data root
    const short = /^l\/([A-Za-z0-9]+)$/.exec(l)?.[1];
    if (!short) throw new TargetError('IO', `${base}/${mountId}/lower: unexpected entry ${JSON.stringify(l)}`);
    const link = await t.readlink(`${base}/l/${short}`);
    const layer = /^\.\.\/([A-Za-z0-9_-]+)\/diff$/.exec(link)?.[1];
    if (!layer) throw new TargetError('IO', `${base}/l/${short}: points to ${JSON.stringify(link)}, not ../<layer>/diff`);
    dirs.push(`${base}/${layer}/diff`);
  }
  const initId = (await readTextOrNull(t, `${mountDir}/init-id`, { maxBytes: 4096 }).catch(() => null))?.trim();
  const init = dirs[0] && initId && dirs[0] === `${base}/${initId}/diff` ? dirs.shift() : dirs[0]?.endsWith('-init/diff') ? dirs.shift() : undefined;
  // Docker makes every layer a directory: on a captured disk a link there is someone else's work
  for (const d of [upper, ...(init ? [init] : []), ...dirs]) {
    const st = await t.lstat(d);
    if (st?.type === 'symlink') throw new TargetError('IO', `${d} is a link to ${await t.readlink(d).catch(() => '?')}, not a layer directory (not followed)`, d);
    if (st?.type !== 'dir') throw new TargetError('ENOENT', `${d}: ${st ? `a ${st.type}, not a layer directory` : 'missing'}`, d);
  }
  return { upper, init, image: dirs };
}

function storageNote(driver: string, containerdStore: boolean): string {
  if (containerdStore || driver === 'overlayfs' || driver.startsWith('io.containerd')) {
    return "Docker's containerd image store (layers under /var/lib/containerd, snapshotter metadata in a bolt database) is not read directly";
  }
  return `storage driver ${driver || 'unknown'} is not read directly (only overlay2 is)`;
}

async function withLayers(rec: ReturnType<typeof containerRecordFrom>, from: () => Promise<ContainerLayers | null>, containerdStore: boolean): Promise<ContainerRecord> {
  // a record that names no storage driver has no layers to read (a configuration copied without its data root)
  if (!rec.driver && !containerdStore) return { ...rec, layersMissing: storageNote(rec.driver, containerdStore), layersAbsent: true };
  if (rec.driver !== 'overlay2' || containerdStore) return { ...rec, layersMissing: storageNote(rec.driver, containerdStore) };
  try {
    const layers = await from();
    return layers ? { ...rec, layers } : { ...rec, layersMissing: 'the engine names no writable layer' };
  } catch (err) {
    const absent = err instanceof TargetError && err.code === 'ENOENT';
    return { ...rec, layersMissing: `layer directory cannot be read: ${(err as Error).message}`, ...(absent ? { layersAbsent: true } : {}) };
  }
}

/** The engine's containers, asked live; null when there is no engine to ask. */
async function fromEngine(t: Target): Promise<Inventory | null> {
  let info: Json;
  let ids: string[];
  try {
    info = obj(JSON.parse(await dockerOk(t, ['info', '--format', '{{json .}}'], { timeoutMs: 30_000 })));
    ids = (await dockerOk(t, ['ps', '-a', '-q', '--no-trunc'], { timeoutMs: 30_000 })).split('\n').filter(Boolean);
  } catch (err) {
    if (err instanceof DockerUnavailable || err instanceof NotAvailable || (err instanceof TargetError && err.code === 'NOT_AVAILABLE')) return null;
    throw err;
  }
  const status = Array.isArray(info.DriverStatus) ? (info.DriverStatus as unknown[][]) : [];
  const containerdStore = status.some((r) => Array.isArray(r) && String(r[1] ?? '').startsWith('io.containerd.snapshotter'));
  const dataRoot = str(info.DockerRootDir) || DEFAULT_DATA_ROOT;
  const inv: Inventory = { source: 'docker', dataRoot, imageStore: containerdStore ? 'containerd' : 'classic', containers: [], notes: [] };
  if (containerdStore) inv.notes.push(`the engine uses the containerd image store (driver ${str(info.Driver)}): ${storageNote('overlayfs', true)}; running containers are read through /proc/PID/root, stopped ones through docker diff and docker cp`);
  let raw: Json[] = [];
  if (ids.length) {
    try {
      raw = JSON.parse(await dockerOk(t, ['inspect', '--type', 'container', ...ids], { maxBuffer: 256 * 1024 * 1024, timeoutMs: 60_000 })) as Json[];
    } catch {
      // one container removed between ps and inspect fails the whole call: one at a time then
      for (const id of ids) {
        const one = await dockerOk(t, ['inspect', '--type', 'container', id]).catch(() => null);
        if (one) raw.push(...(JSON.parse(one) as Json[]));
      }
    }
  }
  for (const c of raw) {
    const rec = containerRecordFrom(c, obj(c.HostConfig));
    inv.containers.push(await withLayers(rec, async () => layersFromGraphDriver(obj(c.GraphDriver)), containerdStore));
  }
  return inv;
}

/** The data root's own records: containers/<id>/config.v2.json and hostconfig.json. */
async function fromDisk(t: Target): Promise<Inventory> {
  const { dataRoot, containerdStore: configured, note } = await dataRootOf(t);
  const inv: Inventory = { source: 'disk', dataRoot, imageStore: 'classic', containers: [], notes: note ? [note] : [] };
  const entries = await listOrEmpty(t, `${dataRoot}/containers`).catch((err: Error) => {
    inv.notes.push(`${dataRoot}/containers: ${err.message}`);
    return [];
  });
  const hasOverlay2 = Boolean(await t.lstat(`${dataRoot}/image/overlay2`).catch(() => null));
  const containerdStore = configured || (!hasOverlay2 && Boolean(await t.lstat('/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs').catch(() => null)) && entries.length > 0);
  if (containerdStore) {
    inv.imageStore = 'containerd';
    inv.notes.push(`Docker's containerd image store is in use (${configured ? 'features.containerd-snapshotter in daemon.json' : `no ${dataRoot}/image/overlay2, layers under /var/lib/containerd`}): its layers are not read offline, so the containers' files are not scanned; their configuration is`);
  }
  for (const e of entries) {
    if (e.stat.type !== 'dir' || !/^[0-9a-f]{64}$/.test(e.name)) continue;
    let cfg: Json;
    let host: Json;
    try {
      cfg = obj(JSON.parse((await t.readFile(`${e.path}/config.v2.json`, { maxBytes: 16 << 20 })).toString('utf8')));
      const hc = await readTextOrNull(t, `${e.path}/hostconfig.json`, { maxBytes: 16 << 20 });
      host = hc ? obj(JSON.parse(hc)) : {};
    } catch (err) {
      inv.notes.push(`${e.path}: ${(err as Error).message}`);
      continue;
    }
    const rec = containerRecordFrom(cfg, host);
    if (!rec.id) rec.id = e.name;
    // offline there is no process: the state is what it was when the disk was captured
    inv.containers.push(await withLayers({ ...rec, pid: 0 }, () => overlay2Layers(t, dataRoot, rec.id), containerdStore));
  }
  return inv;
}

const inventories = new WeakMap<Target, Promise<Inventory>>();

/**
 * Containers of the target: from the engine where one answers, else from its data root. Read once per
 * target and shared (the containers detector, the scan inside them, process attribution); `fresh`
 * asks again (isolation reads them before and after its cut).
 */
export function containerInventory(t: Target, opts: { fresh?: boolean } = {}): Promise<Inventory> {
  let p = opts.fresh ? undefined : inventories.get(t);
  if (!p) {
    p = readInventory(t);
    inventories.set(t, p);
    p.catch(() => inventories.delete(t));
  }
  return p;
}

async function readInventory(t: Target): Promise<Inventory> {
  if (t.live) {
    const live = await fromEngine(t);
    if (live) return live;
  }
  const disk = await fromDisk(t);
  if (t.live) disk.notes.unshift('no Docker engine answered: containers read from the data root on disk (their processes are not attributed)');
  return disk;
}

/** How findings name a container across restarts: Compose project/service, else its name (never the id). */
export function containerIdent(c: { name: string; project?: string; service?: string }): string {
  return c.project && c.service ? `${c.project}/${c.service}` : c.name;
}
