import { docker } from '../docker/cli.js';
import { EvidenceWriter } from '../evidence/writer.js';
import type { Target } from '../host/target.js';
import type { ContainerState, SnapshotRef } from './schema.js';

/** Logs can be large: keep up to this much of each stream (the manifest records a cut). */
const LOG_MAX = 512 * 1024 * 1024;

export interface SnapshotInput {
  target: Target;
  caseDir: string;
  project: string;
  containers: ContainerState[];
  argv: string[];
  toolVersion: string;
  onProgress?: (what: string) => void;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Evidence before anything changes (down destroys logs, layers and memory): for every container its
 * logs with timestamps (stdout and stderr apart), inspect, diff, top, stats; every network with its
 * containers. Written with the evidence writer of `ir collect` (tar.gz + manifest + hashes).
 */
export async function takeSnapshot(input: SnapshotInput): Promise<SnapshotRef> {
  const { target, containers } = input;
  const w = await EvidenceWriter.create({ dir: input.caseDir, host: target.name, name: `snapshot-${safe(input.project)}.tar.gz`, argv: input.argv, toolVersion: input.toolVersion });
  try {
    for (const c of containers) {
      const dir = `containers/${safe(c.name)}`;
      input.onProgress?.(`snapshot ${c.name}`);
      const logs = await docker(target, ['logs', '--timestamps', c.id], { maxBuffer: LOG_MAX, timeoutMs: 300_000 });
      const meta = { mode: 0o644, mtime: Date.parse(logs.endedAt) / 1000 };
      if (logs.code === 0) {
        await w.addBuffer(`${dir}/logs.stdout.log`, logs.stdout, { ...meta, source: `docker logs --timestamps ${c.id} (stdout)` });
        await w.addBuffer(`${dir}/logs.stderr.log`, logs.stderr, { ...meta, source: `docker logs --timestamps ${c.id} (stderr)` });
      } else {
        w.skip(`${dir}/logs.stdout.log`, `docker logs exit ${logs.code}: ${logs.stderr.toString('utf8').trim().split('\n')[0]}`);
      }
      await w.addCommand(`${dir}/inspect.json`, await docker(target, ['inspect', '--type', 'container', c.id]));
      await w.addCommand(`${dir}/diff.txt`, await docker(target, ['diff', c.id]));
      if (c.running) {
        await w.addCommand(`${dir}/top.txt`, await docker(target, ['top', c.id, '-eo', 'pid,ppid,user,lstart,args']).then(async (r) => (r.code === 0 ? r : docker(target, ['top', c.id]))));
        await w.addCommand(`${dir}/stats.json`, await docker(target, ['stats', '--no-stream', '--no-trunc', '--format', '{{json .}}', c.id]));
      } else {
        w.skip(`${dir}/top.txt`, `container is ${c.state}`);
        w.skip(`${dir}/stats.json`, `container is ${c.state}`);
      }
    }
    const nets = [...new Set(containers.flatMap((c) => c.networks.map((n) => n.network)))].sort();
    for (const n of nets) {
      input.onProgress?.(`snapshot network ${n}`);
      // the network's view lists every container on it, including ones outside the project
      await w.addCommand(`networks/${safe(n)}.json`, await docker(target, ['network', 'inspect', n]));
    }
    w.note(`isolation snapshot of Compose project ${input.project}: ${containers.length} containers, ${nets.length} networks`);
    return await w.finish();
  } catch (err) {
    await w.abort();
    throw err;
  }
}
