import { containerIdent, containerInventory, type ContainerRecord } from '../../docker/storage.js';
import type { Target } from '../../host/target.js';
import type { Finding } from '../../core/finding.js';

/**
 * Which container a host process belongs to: the 64-hex id in its /proc/PID/cgroup (any layout:
 * `/docker/<id>`, `docker-<id>.scope`, a custom --cgroup-parent), named from the engine's inventory.
 */

export type ContainerRef = NonNullable<Finding['container']>;

const byTarget = new WeakMap<Target, Promise<Map<string, ContainerRecord>>>();

function known(t: Target): Promise<Map<string, ContainerRecord>> {
  let p = byTarget.get(t);
  if (!p) {
    p = containerInventory(t)
      .then((inv) => new Map(inv.containers.map((c) => [c.id, c])))
      .catch(() => new Map<string, ContainerRecord>());
    byTarget.set(t, p);
  }
  return p;
}

/** The 64-hex ids in a cgroup file, in order (the last one is the innermost). */
export function cgroupIds(text: string): string[] {
  return [...text.matchAll(/(?:^|[/:\-_.])([0-9a-f]{64})(?=$|[/.\s])/gm)].map((m) => m[1]!);
}

export function refOf(c: ContainerRecord): ContainerRef {
  return { name: c.name, id: c.id, image: c.image, ...(c.project ? { project: c.project } : {}), ...(c.service ? { service: c.service } : {}) };
}

/** The container of a process, null when it runs on the host (or its container is unknown and unnamed). */
export async function containerOfPid(t: Target, pid: number): Promise<{ ref: ContainerRef; ident: string } | null> {
  const cg = await t.readFile(`/proc/${pid}/cgroup`, { maxBytes: 65536 }).catch(() => null);
  if (!cg) return null;
  const ids = cgroupIds(cg.toString('utf8'));
  if (ids.length === 0) return null;
  const all = await known(t);
  const hit = ids.map((id) => all.get(id)).find(Boolean);
  if (hit) return { ref: refOf(hit), ident: containerIdent(hit) };
  // an id no engine knows (another runtime, or docker not answering): named by its id
  const id = ids[ids.length - 1]!;
  return { ref: { name: id.slice(0, 12), id, image: '' }, ident: id.slice(0, 12) };
}
