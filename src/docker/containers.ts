import type { Target } from '../host/target.js';
import { z } from 'zod';
import { inspectContainers } from './compose.js';

/** One container as `docker inspect` shows it, the fields isolation records and compares. */
export const NetworkAttachment = z.object({
  network: z.string(),
  networkId: z.string().optional(),
  aliases: z.array(z.string()),
  ipv4: z.string().optional(),
  ipv6: z.string().optional(),
  /** addresses the user fixed (ipv4_address in compose): given back with --ip on reconnect */
  staticIpv4: z.string().optional(),
  staticIpv6: z.string().optional(),
  mac: z.string().optional(),
});
export type NetworkAttachment = z.infer<typeof NetworkAttachment>;

export const RestartPolicy = z.object({ name: z.string(), maximumRetryCount: z.number().int() });
export type RestartPolicy = z.infer<typeof RestartPolicy>;

export const ContainerState = z.object({
  id: z.string(),
  name: z.string(),
  service: z.string().optional(),
  image: z.string(),
  /** created | running | paused | restarting | exited | dead */
  state: z.string(),
  running: z.boolean(),
  paused: z.boolean(),
  /** healthy | unhealthy | starting; absent without a healthcheck */
  health: z.string().optional(),
  hasHealthcheck: z.boolean(),
  pid: z.number().int(),
  restartPolicy: RestartPolicy,
  /** network_mode: bridge, host, none, container:ID or a network name */
  networkMode: z.string(),
  networks: z.array(NetworkAttachment),
  /** services this one depends on (com.docker.compose.depends_on) */
  dependsOn: z.array(z.string()),
  startedAt: z.string().optional(),
});
export type ContainerState = z.infer<typeof ContainerState>;


/** The fields of `docker inspect` that isolation records and compares, one typed object per container. */
export function containerStateFromInspect(raw: Record<string, unknown>): ContainerState {
  const r = raw as {
    Id: string;
    Name: string;
    Config?: { Image?: string; Labels?: Record<string, string> | null; Healthcheck?: { Test?: string[] } | null };
    State?: { Status?: string; Running?: boolean; Paused?: boolean; Pid?: number; StartedAt?: string; Health?: { Status?: string } | null };
    HostConfig?: { RestartPolicy?: { Name?: string; MaximumRetryCount?: number }; NetworkMode?: string };
    NetworkSettings?: { Networks?: Record<string, RawEndpoint> | null };
  };
  const labels = r.Config?.Labels ?? {};
  const shortId = r.Id.slice(0, 12);
  const networks: NetworkAttachment[] = Object.entries(r.NetworkSettings?.Networks ?? {})
    .map(([name, ep]) => ({
      network: name,
      networkId: ep.NetworkID || undefined,
      // the engine adds the short container id by itself on every connect
      aliases: (ep.Aliases ?? []).filter((a) => a !== shortId),
      ipv4: ep.IPAddress || undefined,
      ipv6: ep.GlobalIPv6Address || undefined,
      staticIpv4: ep.IPAMConfig?.IPv4Address || undefined,
      staticIpv6: ep.IPAMConfig?.IPv6Address || undefined,
      mac: ep.MacAddress || undefined,
    }))
    .sort((a, b) => a.network.localeCompare(b.network));
  const healthTest = r.Config?.Healthcheck?.Test;
  return ContainerState.parse({
    id: r.Id,
    name: r.Name.replace(/^\//, ''),
    service: labels['com.docker.compose.service'],
    image: r.Config?.Image ?? '',
    state: r.State?.Status ?? 'unknown',
    running: Boolean(r.State?.Running),
    paused: Boolean(r.State?.Paused),
    health: r.State?.Health?.Status || undefined,
    hasHealthcheck: Boolean(healthTest && healthTest.length > 0 && healthTest[0] !== 'NONE'),
    pid: r.State?.Pid ?? 0,
    restartPolicy: { name: r.HostConfig?.RestartPolicy?.Name || 'no', maximumRetryCount: r.HostConfig?.RestartPolicy?.MaximumRetryCount ?? 0 },
    networkMode: r.HostConfig?.NetworkMode ?? 'default',
    networks,
    dependsOn: parseDependsOn(labels['com.docker.compose.depends_on'] ?? ''),
    startedAt: r.State?.StartedAt,
  });
}

interface RawEndpoint {
  NetworkID?: string;
  Aliases?: string[] | null;
  IPAddress?: string;
  GlobalIPv6Address?: string;
  MacAddress?: string;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
}

/** `db:service_started:false,cache:service_healthy:true` (v2); v1 has no such label. */
export function parseDependsOn(label: string): string[] {
  return label
    .split(',')
    .map((s) => s.split(':')[0]!.trim())
    .filter(Boolean);
}

/** Current state of the given containers; ids that no longer exist are left out. */
export async function containerStates(target: Target, ids: string[]): Promise<ContainerState[]> {
  const out: ContainerState[] = [];
  // one inspect per id: a single missing id makes the batched call fail for all of them
  const batch = await inspectContainers(target, ids).catch(() => null);
  if (batch) return batch.map(containerStateFromInspect);
  for (const id of ids) {
    const one = await inspectContainers(target, [id]).catch(() => null);
    if (one?.[0]) out.push(containerStateFromInspect(one[0]));
  }
  return out;
}

/** restart policy as `docker update --restart` spells it */
export function restartFlag(p: { name: string; maximumRetryCount: number }): string {
  return p.name === 'on-failure' && p.maximumRetryCount > 0 ? `on-failure:${p.maximumRetryCount}` : p.name || 'no';
}

/** Dependencies first (compose's depends_on), then by name: the order to start; reverse it to stop. */
export function startOrder<T extends { name: string; service?: string; dependsOn: string[] }>(items: T[]): T[] {
  const byService = new Map(items.filter((c) => c.service).map((c) => [c.service!, c]));
  const done = new Set<T>();
  const out: T[] = [];
  const visit = (c: T, seen: Set<T>) => {
    if (done.has(c) || seen.has(c)) return;
    seen.add(c);
    for (const d of c.dependsOn) {
      const dep = byService.get(d);
      if (dep) visit(dep, seen);
    }
    done.add(c);
    out.push(c);
  };
  for (const c of [...items].sort((a, b) => a.name.localeCompare(b.name))) visit(c, new Set());
  return out;
}
