import { posix } from 'node:path';
import pLimit from 'p-limit';
import { DockerCpView } from '../../docker/cp.js';
import { dockerDiffChanges, LAYER_NAMES, layerChanges, openLayer, tmpfsChanges, type LayerChange, type LayerDiff } from '../../docker/layer.js';
import { containerIdent, containerInventory, type ContainerRecord, type Inventory } from '../../docker/storage.js';
import { ReadLog, SHARED } from '../../host/read-log.js';
import { OpaqueIndex, RootedTarget } from '../../host/rooted.js';
import type { Target } from '../../host/target.js';
import { UserError } from '../../core/errors.js';
import type { Finding, ScanWarning } from '../../core/finding.js';
import type { Detector } from '../detector.js';
import { judgeLayer } from './judge-layer.js';
import { loadPackageDb, type PackageDb } from './packages.js';
import type { ContainerRun, ContainerSection } from './schema.js';

/**
 * Persistence inside containers. The same detectors as on the host run over each container's own file
 * tree (a RootedTarget: /proc/PID/root of a running one, its overlay2 layers otherwise), then the
 * writable layer is judged on its own (judge-layer.ts).
 *
 * Each image is scanned once, over its own layers, with every read recorded per detector. A container
 * of that image is rescanned only by the detectors that read a path its writable layer (or a mount)
 * changes; the others' findings are the image's. Twenty idle replicas cost one image scan and twenty
 * layer walks.
 */

export interface ScanResult {
  findings: Finding[];
  warnings: ScanWarning[];
}

export interface ContainerScanOptions {
  /** the detectors to run inside containers (already chosen: never the live-only ones, never this one) */
  detectors: Detector[];
  /** judge the writable layer (the `containers` detector was chosen) */
  judgeLayer: boolean;
  /** `--container NAME`: only these (name, id or Compose project/service) */
  names?: string[];
  /** what the scan of a tree declares it reads (fetched early over ssh, beside the image scan) */
  declared?: string[];
  /** runs the chosen detectors over a tree (the engine's runScan, without containers) */
  scan: (t: Target, detectors: Detector[]) => Promise<ScanResult>;
}

export interface ContainerScanOutput extends ScanResult {
  section: ContainerSection;
}

interface ImageScan {
  tree: RootedTarget;
  log: ReadLog;
  byDetector: Map<string, Finding[]>;
  packages: Promise<PackageDb | null>;
}

const msg = (err: unknown) => (err as Error).message;

/** Picks containers by name, id (or its first 12 characters) or Compose project/service. */
export function pickContainers(all: ContainerRecord[], names?: string[]): ContainerRecord[] {
  if (!names?.length) return all;
  const out: ContainerRecord[] = [];
  for (const n of names) {
    const hit = all.filter((c) => c.name === n || (n.length >= 12 && c.id.startsWith(n)) || containerIdent(c) === n);
    if (hit.length === 0) throw new UserError(`--container ${n}: no such container`, all.length ? `containers: ${all.map((c) => c.name).sort().join(', ')}` : 'no container found on this host');
    for (const h of hit) if (!out.includes(h)) out.push(h);
  }
  return out;
}

/** Detectors (by id, SHARED for all) whose reads a container's changes and mounts touch. */
export function touchedReaders(log: ReadLog, changes: LayerChange[], mounts: string[]): Set<string> {
  const out = new Set<string>();
  for (const [id, set] of log.sets) {
    const hit =
      changes.some((c) => (c.where === 'layer' ? set.touchedBy(c.path, { replacedDir: c.opaque || c.kind === 'deleted' || (c.stat !== undefined && c.stat.type !== 'dir' && c.imageStat?.type === 'dir') }) : set.touchesUnder(posix.dirname(c.path)) || set.touchedBy(c.path))) ||
      mounts.some((m) => set.touchesUnder(m));
    if (hit) out.add(id);
  }
  return out;
}

/** Container fields for a finding, its key by Compose project/service (ids change at every `compose up`). */
export function stampFinding(f: Finding, rec: ContainerRecord, host: string): Finding {
  const rest = f.key.startsWith(`${f.detector}:`) ? f.key.slice(f.detector.length + 1) : f.key;
  return {
    ...f,
    host,
    key: `${f.detector}:${containerIdent(rec)}:${rest}`,
    container: { name: rec.name, id: rec.id, image: rec.image, ...(rec.project ? { project: rec.project } : {}), ...(rec.service ? { service: rec.service } : {}) },
  };
}

/** Where a finding's file comes from, in the reason's words and as a detail. */
function origin(f: Finding, changes: Map<string, LayerChange>, mounts: string[]): string | undefined {
  if (!f.path) return undefined;
  const c = changes.get(f.path);
  if (c) return c.where === 'tmpfs' ? 'tmpfs' : 'writable-layer';
  if (mounts.some((m) => f.path === m || f.path!.startsWith(`${m}/`))) return 'mount';
  return 'image';
}

export async function scanContainers(host: Target, o: ContainerScanOptions): Promise<ContainerScanOutput> {
  let inv: Inventory;
  try {
    inv = await containerInventory(host);
  } catch (err) {
    const note = `containers could not be listed: ${msg(err)}`;
    return { findings: [], warnings: [{ detector: 'containers', message: note }], section: { source: host.live ? 'docker' : 'disk', dataRoot: '', imageStore: 'classic', images: 0, runs: [], notes: [note] } };
  }
  const chosen = pickContainers(inv.containers, o.names);
  const opaque = new OpaqueIndex();
  const images = new Map<string, Promise<ImageScan | null>>();
  const warnings: ScanWarning[] = [];
  const imageNotes: string[] = [];
  // the same limitation (no getcap offline) said once, not once per image and container
  const said = new Set<string>();
  const warn = (w: ScanWarning, where: string) => {
    const k = `${w.detector}\0${w.path ?? ''}\0${w.message}`;
    if (said.has(k)) return;
    said.add(k);
    warnings.push({ ...w, message: `${where}: ${w.message}` });
  };

  const imageScan = (rec: ContainerRecord): Promise<ImageScan | null> => {
    if (!rec.layers || !rec.imageId) return Promise.resolve(null);
    // the init layer (placeholders for /etc/hosts, /.dockerenv) belongs with the image: it is the same for every container
    const key = `${rec.imageId}|${rec.layers.image.join(':')}`;
    let p = images.get(key);
    if (!p) {
      p = (async () => {
        const log = new ReadLog();
        let tree: RootedTarget;
        try {
          tree = await RootedTarget.open(host, { name: rec.image || rec.imageId, layers: [...(rec.layers!.init ? [rec.layers!.init] : []), ...rec.layers!.image], overlay: true, readLog: log, opaque });
        } catch (err) {
          imageNotes.push(`image ${rec.image}: its layers cannot be read (${msg(err)}); its containers are scanned one by one`);
          return null;
        }
        const scoped = o.detectors.map((d): Detector => ({ ...d, run: (ctx) => d.run({ ...ctx, target: log.scoped(ctx.target, d.id) }) }));
        const res = o.detectors.length ? await o.scan(tree, scoped) : { findings: [], warnings: [] };
        log.seal();
        for (const w of res.warnings) warn(w, `image ${rec.image}`);
        const byDetector = new Map<string, Finding[]>();
        for (const f of res.findings) byDetector.set(f.detector, [...(byDetector.get(f.detector) ?? []), f]);
        return { tree, log, byDetector, packages: o.judgeLayer ? loadPackageDb(tree).catch(() => null) : Promise.resolve(null) };
      })();
      images.set(key, p);
    }
    return p;
  };

  const scanOne = async (rec: ContainerRecord): Promise<{ run: ContainerRun; findings: Finding[] }> => {
    const t0 = performance.now();
    const notes: string[] = [];
    // the image is scanned while this container's own files are fetched (over ssh each is a batch: see below)
    const imgScan = imageScan(rec);
    let view: Target | null = null;
    let how: ContainerRun['view'] = 'none';
    if (rec.running && rec.pid > 0 && host.live) {
      try {
        view = await RootedTarget.open(host, { name: rec.name, layers: [`/proc/${rec.pid}/root`], overlay: false, hidden: ['/proc', '/sys'] });
        how = 'running';
      } catch (err) {
        notes.push(`its root /proc/${rec.pid}/root cannot be read (${msg(err)}); read from its layers instead`);
      }
    }
    if (!view && rec.layers) {
      try {
        view = await RootedTarget.open(host, { name: rec.name, layers: [rec.layers.upper, ...(rec.layers.init ? [rec.layers.init] : []), ...rec.layers.image], overlay: true, opaque });
        how = 'layers';
      } catch (err) {
        notes.push(`its layers cannot be read (${msg(err)})`);
      }
    }
    if (rec.layersMissing) notes.push(`${rec.layersMissing}: falls back to ${how === 'running' ? `its running view (/proc/${rec.pid}/root)` : host.live ? 'docker diff and docker cp' : 'nothing offline'}`);

    // over ssh, beside the image scan: what the detectors declare under the view (the rescan and the
    // judge read there), and the names of the writable layer (the diff walks it all); locally nothing
    const upper = rec.layers ? openLayer(host, rec.layers.upper, rec.name, opaque) : null;
    upper?.catch(() => {});
    await Promise.all([view?.prefetch?.({ paths: o.declared ?? [] }), upper?.then((l) => l.prefetch({ paths: [LAYER_NAMES] }))].map((p) => p?.catch(() => {})));
    const img = await imgScan;

    let diff: LayerDiff | null = null;
    if (upper) {
      try {
        const layer = await upper;
        diff = await layerChanges(layer, img?.tree ?? null).finally(() => layer.close());
      } catch (err) {
        notes.push(`its writable layer cannot be read (${msg(err)})${host.live ? ': changes from docker diff instead' : ''}`);
      }
    }
    if (!diff && host.live) {
      try {
        if (!view) {
          view = new DockerCpView(host, rec.id, rec.name);
          how = 'docker-cp';
        }
        diff = await dockerDiffChanges(host, rec.id, view, img?.tree ?? null);
      } catch (err) {
        notes.push(`docker diff failed (${msg(err)})`);
      }
    }
    notes.push(...(diff?.notes ?? []));
    const changes: LayerChange[] = [...(diff?.changes ?? [])];
    if (how === 'running' && view) changes.push(...(await tmpfsChanges(view, rec.tmpfs).catch(() => [])));

    const findings: Finding[] = [];
    let rescanned: string[] = [];
    let reused = false;
    const mounts = how === 'running' ? rec.mounts.map((m) => m.destination).filter((d) => d !== '/') : [];
    if (view && how !== 'docker-cp') {
      let rerun = o.detectors;
      if (img && diff) {
        const touched = touchedReaders(img.log, changes, mounts);
        rerun = touched.has(SHARED) ? o.detectors : o.detectors.filter((d) => touched.has(d.id));
        reused = rerun.length < o.detectors.length;
        for (const d of o.detectors) if (!rerun.includes(d)) findings.push(...(img.byDetector.get(d.id) ?? []).map((f) => ({ ...f })));
      }
      if (rerun.length) {
        const res = await o.scan(view, rerun);
        findings.push(...res.findings);
        for (const w of res.warnings) warn(w, `container ${rec.name}`);
      }
      rescanned = rerun.map((d) => d.id);
    } else if (how === 'docker-cp') notes.push('its files are not scanned by the detectors (docker cp reads only the paths docker diff names)');
    // an error is a container whose files exist but could not be read (or were refused: a layer
    // directory that is a link); offline, a container whose layer directories are not in the image
    // at all is a location that does not exist (noted, not an error)
    let error: string | undefined;
    if (!view && !diff) {
      if (host.live || !rec.layersAbsent) error = 'its files could not be read';
      else notes.push('not scanned: its layers are not in this image');
    }

    if (o.judgeLayer && diff) {
      try {
        const j = await judgeLayer({ rec, view, image: img?.tree ?? null, changes, findings, host: host.name, packages: img?.packages });
        findings.push(...j.findings);
        warnings.push(...j.warnings);
      } catch (err) {
        notes.push(`the writable layer could not be judged (${msg(err)})`);
      }
    }
    await view?.close();
    const byPath = new Map(changes.map((c) => [c.path, c]));
    const stamped = findings.map((f) => {
      const s = stampFinding(f, rec, host.name);
      const from = origin(f, byPath, mounts);
      return { ...s, details: { ...(s.details ?? {}), ...(from ? { origin: from } : {}) } };
    });
    return {
      findings: stamped,
      run: {
        name: rec.name,
        id: rec.id,
        image: rec.image,
        ...(rec.project ? { project: rec.project } : {}),
        ...(rec.service ? { service: rec.service } : {}),
        state: rec.state,
        view: how,
        changesFrom: diff ? diff.source : 'none',
        changes: changes.length,
        rescanned,
        imageScanReused: reused,
        findings: stamped.length,
        ms: Math.round(performance.now() - t0),
        notes,
        ...(error ? { error } : {}),
      },
    };
  };

  const limit = pLimit(4);
  const results = await Promise.all(chosen.map((rec) => limit(() => scanOne(rec))));
  const trees = (await Promise.all(images.values())).filter((x): x is ImageScan => x !== null);
  await Promise.all(trees.map((x) => x.tree.close()));
  // replicas of one service share their keys: one finding, the other containers named beside it
  const byKey = new Map<string, Finding>();
  for (const { findings } of results) {
    for (const f of findings) {
      const seen = byKey.get(f.key);
      if (!seen) byKey.set(f.key, f);
      else if (seen.container && f.container && seen.container.name !== f.container.name) {
        const d = (seen.details ??= {}) as Record<string, unknown>;
        d.alsoIn = [...((d.alsoIn as string[] | undefined) ?? []), f.container.name];
      }
    }
  }
  for (const r of results) if (r.run.error) warnings.push({ detector: 'containers', message: `container ${r.run.name}: ${r.run.error}${r.run.notes.length ? ` (${r.run.notes.join('; ')})` : ''}` });
  return {
    findings: [...byKey.values()],
    warnings,
    section: {
      source: inv.source,
      dataRoot: inv.dataRoot,
      imageStore: inv.imageStore,
      images: trees.length,
      runs: results.map((r) => r.run).sort((a, b) => a.name.localeCompare(b.name)),
      notes: [...inv.notes, ...imageNotes],
    },
  };
}
