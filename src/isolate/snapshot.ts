import pLimit from 'p-limit';
import { docker } from '../docker/cli.js';
import { DEFAULT_LAYER_LIMITS, storeContainerLayer, storeContainerTmpfs, type LayerLimits } from '../docker/layer-evidence.js';
import { containerInventory, type ContainerRecord } from '../docker/storage.js';
import { EvidenceWriter } from '../evidence/writer.js';
import type { Target } from '../host/target.js';
import type { ContainerState, LayerCopy, SnapshotRef } from './schema.js';

/** Logs can be large: stdout is spooled to disk, never held; this much at most (the log records a cut). */
const LOG_MAX = 8 * 1024 * 1024 * 1024;

export interface SnapshotInput {
  target: Target;
  caseDir: string;
  project: string;
  containers: ContainerState[];
  argv: string[];
  toolVersion: string;
  layerLimits?: LayerLimits;
  onProgress?: (what: string) => void;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The project's containers as the engine records them now (their layer directories), by id. */
async function records(target: Target, ids: string[]): Promise<ContainerRecord[]> {
  const inv = await containerInventory(target, { fresh: true });
  return inv.containers.filter((c) => ids.includes(c.id));
}

/**
 * The isolation snapshot, in two parts around the cut, in one archive (the evidence writer of
 * `ir collect`: tar.gz + manifest + hashes):
 *  - before anything changes (`volatile`): every container's logs with timestamps (stdout and stderr
 *    apart), inspect, diff, top, stats, every network, and the tmpfs mounts of running containers
 *    (/dev/shm: in no layer, gone at stop);
 *  - right after pause, network or stop (`layers`): each container's writable layer, which survives
 *    them and which `compose down` destroys (docker/<project>/<container>/layer/…);
 *  - `finish` seals the archive before anything is removed.
 */
export class Snapshot {
  readonly layerCopies: LayerCopy[] = [];

  private constructor(
    private readonly input: SnapshotInput,
    private readonly w: EvidenceWriter,
  ) {}

  static async open(input: SnapshotInput): Promise<Snapshot> {
    const w = await EvidenceWriter.create({ dir: input.caseDir, host: input.target.name, name: `snapshot-${safe(input.project)}.tar.gz`, argv: input.argv, toolVersion: input.toolVersion });
    return new Snapshot(input, w);
  }

  /** Logs, inspect, diff, top, stats, networks and tmpfs: the state the cut changes. */
  async volatile(): Promise<void> {
    const { target, containers } = this.input;
    const w = this.w;
    // docker calls run in parallel (stats alone samples for ~2 s); the archive is written in a fixed order
    const limit = pLimit(6);
    const run = (args: string[], opts = {}) => {
      const p = limit(() => docker(target, args, opts));
      // awaited below in order; a failure seen first elsewhere must not become an unhandled rejection
      p.catch(() => {});
      return p;
    };
    const nets = [...new Set(containers.flatMap((c) => c.networks.map((n) => n.network)))].sort();
    this.input.onProgress?.(`snapshot of ${containers.length} containers`);
    const perContainer = containers.map((c) => ({
      c,
      inspect: run(['inspect', '--type', 'container', c.id]),
      diff: run(['diff', c.id]),
      top: c.running ? run(['top', c.id, '-eo', 'pid,ppid,user,lstart,args']).then((r) => (r.code === 0 ? r : docker(target, ['top', c.id]))) : null,
      stats: c.running ? run(['stats', '--no-stream', '--no-trunc', '--format', '{{json .}}', c.id]) : null,
    }));
    // the network's view lists every container on it, including ones outside the project
    const perNetwork = nets.map((n) => ({ n, inspect: run(['network', 'inspect', n]) }));
    for (const p of perContainer) {
      const { c } = p;
      const dir = `containers/${safe(c.name)}`;
      // streamed to a spool and stored from it (a container's log can be larger than memory)
      const logs = await w.addCommandSpooled(`${dir}/logs.stdout.log`, (s) => docker(target, ['logs', '--timestamps', c.id], { maxBuffer: LOG_MAX, timeoutMs: 300_000, stdoutTo: s.stdout, stderrTo: s.stderr }), `${dir}/logs.stderr.log`);
      if (logs.code !== 0) w.fail(`${dir}/logs.stdout.log`, `docker logs exit ${logs.code}: ${logs.stderr.toString('utf8').trim().split('\n')[0]}`);
      if ((logs.stdoutBytes ?? 0) >= LOG_MAX) w.note(`${dir}/logs.stdout.log: cut at ${LOG_MAX} bytes`);
      if ((logs.stderrBytes ?? 0) >= LOG_MAX) w.note(`${dir}/logs.stderr.log: cut at ${LOG_MAX} bytes`);
      await w.addCommand(`${dir}/inspect.json`, await p.inspect);
      await w.addCommand(`${dir}/diff.txt`, await p.diff);
      if (p.top && p.stats) {
        await w.addCommand(`${dir}/top.txt`, await p.top);
        await w.addCommand(`${dir}/stats.json`, await p.stats);
      } else {
        w.skip(`${dir}/top.txt`, `container is ${c.state}`);
        w.skip(`${dir}/stats.json`, `container is ${c.state}`);
      }
    }
    for (const p of perNetwork) await w.addCommand(`networks/${safe(p.n)}.json`, await p.inspect);
    const running = containers.filter((c) => c.running).map((c) => c.id);
    if (running.length) {
      this.input.onProgress?.('tmpfs of the running containers');
      for (const rec of await records(target, running).catch(() => [])) await storeContainerTmpfs(target, rec, w, this.input.layerLimits ?? DEFAULT_LAYER_LIMITS);
    }
  }

  /** Each container's writable layer, after the cut and before anything is removed. */
  async layers(): Promise<void> {
    const { target, containers } = this.input;
    const limits = this.input.layerLimits ?? DEFAULT_LAYER_LIMITS;
    this.input.onProgress?.(`copying the writable layers of ${containers.length} containers`);
    let recs: ContainerRecord[];
    try {
      recs = await records(target, containers.map((c) => c.id));
    } catch (err) {
      this.w.fail('docker/layers', `containers could not be listed: ${(err as Error).message}`);
      return;
    }
    for (const c of containers) {
      const rec = recs.find((r) => r.id === c.id);
      if (!rec) {
        this.w.skip(`containers/${safe(c.name)}/layer`, 'the container no longer exists');
        continue;
      }
      const r = await storeContainerLayer(target, rec, this.w, limits);
      this.layerCopies.push({ name: rec.name, how: r.how, files: r.files, links: r.links, bytes: r.bytes, deleted: r.deleted, cut: r.cut, skipped: r.skipped });
    }
  }

  async finish(): Promise<SnapshotRef> {
    this.w.note(`isolation snapshot of Compose project ${this.input.project}: ${this.input.containers.length} containers`);
    const ref = await this.w.finish();
    return { ...ref, ...(this.layerCopies.length ? { layers: this.layerCopies } : {}) };
  }

  abort(): Promise<void> {
    return this.w.abort();
  }
}
