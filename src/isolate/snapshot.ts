import pLimit from 'p-limit';
import { docker } from '../docker/cli.js';
import { EvidenceWriter } from '../evidence/writer.js';
import type { Target } from '../host/target.js';
import type { ContainerState, SnapshotRef } from './schema.js';

/** Logs can be large: stdout is spooled to disk, never held; this much at most (the log records a cut). */
const LOG_MAX = 8 * 1024 * 1024 * 1024;

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
    // docker calls run in parallel (stats alone samples for ~2 s); the archive is written in a fixed order
    const limit = pLimit(6);
    const run = (args: string[], opts = {}) => {
      const p = limit(() => docker(target, args, opts));
      // awaited below in order; a failure seen first elsewhere must not become an unhandled rejection
      p.catch(() => {});
      return p;
    };
    const nets = [...new Set(containers.flatMap((c) => c.networks.map((n) => n.network)))].sort();
    input.onProgress?.(`snapshot of ${containers.length} containers`);
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
      if (logs.code !== 0) w.skip(`${dir}/logs.stdout.log`, `docker logs exit ${logs.code}: ${logs.stderr.toString('utf8').trim().split('\n')[0]}`);
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
    w.note(`isolation snapshot of Compose project ${input.project}: ${containers.length} containers, ${nets.length} networks`);
    return await w.finish();
  } catch (err) {
    await w.abort();
    throw err;
  }
}
