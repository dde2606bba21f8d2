import { docker, DockerUnavailable } from '../../docker/cli.js';
import { composeProjects, inspectContainers } from '../../docker/compose.js';
import { listProcesses } from '../../host/proc.js';
import { readTextOrNull } from '../../host/target.js';
import type { SweepContext } from '../context.js';

export interface PublishedPort {
  container: string;
  hostIp: string;
  hostPort: number;
}

/** What PID 1 of the container really has, read from /proc on the host (not from the container's config). */
/** `0.0.0.0:8080`, `[::]:8080` */
export const hostPort = (p: PublishedPort): string => (p.hostIp.includes(':') ? `[${p.hostIp}]:${p.hostPort}` : `${p.hostIp || '0.0.0.0'}:${p.hostPort}`);

export interface Pid1Facts {
  pid: number;
  uid?: number;
  capEff?: string;
  noNewPrivs?: number;
  /** mount options of the container's "/" (from /proc/PID/mounts) */
  rootOptions?: string;
  /** gateway of the container's default route (dotted), null when it has none */
  defaultGateway?: string | null;
}

export interface SweptContainer {
  id: string;
  name: string;
  project: string;
  /** com.docker.compose.project.working_dir: where the application lives on the host */
  workingDir?: string;
  service?: string;
  /** the image as the user named it (Config.Image): a tag, a digest or an image id */
  image: string;
  imageId: string;
  user: string;
  readonlyRootfs: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  memory: number;
  nanoCpus: number;
  cpuQuota: number;
  healthcheck: string[] | null;
  health?: string;
  networkMode: string;
  networks: string[];
  /** network name → its gateway address as the container sees it */
  gateways: Record<string, string>;
  mounts: { type: string; source: string; destination: string; rw: boolean }[];
  ports: PublishedPort[];
  pid1: Pid1Facts | null;
}

export interface DockerFacts {
  available: boolean;
  reason?: string;
  containers: SweptContainer[];
  /** network name → Internal flag */
  internal: Map<string, boolean>;
}

interface RawInspect {
  Id: string;
  Name: string;
  Image: string;
  Config?: { Image?: string; User?: string; Labels?: Record<string, string> | null; Healthcheck?: { Test?: string[] } | null };
  State?: { Running?: boolean; Pid?: number; Health?: { Status?: string } | null };
  HostConfig?: {
    ReadonlyRootfs?: boolean;
    Privileged?: boolean;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    SecurityOpt?: string[] | null;
    Memory?: number;
    NanoCpus?: number;
    CpuQuota?: number;
    NetworkMode?: string;
  };
  Mounts?: { Type?: string; Source?: string; Destination?: string; RW?: boolean }[] | null;
  NetworkSettings?: { Networks?: Record<string, { Gateway?: string }> | null; Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null };
}

export function containerFromInspect(r: RawInspect): Omit<SweptContainer, 'pid1'> {
  const labels = r.Config?.Labels ?? {};
  const name = r.Name.replace(/^\//, '');
  const ports: PublishedPort[] = [];
  for (const binds of Object.values(r.NetworkSettings?.Ports ?? {})) {
    for (const b of binds ?? []) if (b.HostPort) ports.push({ container: name, hostIp: b.HostIp ?? '', hostPort: Number(b.HostPort) });
  }
  const test = r.Config?.Healthcheck?.Test;
  return {
    id: r.Id,
    name,
    project: labels['com.docker.compose.project'] ?? '',
    workingDir: labels['com.docker.compose.project.working_dir'],
    service: labels['com.docker.compose.service'],
    image: r.Config?.Image ?? '',
    imageId: r.Image,
    user: r.Config?.User ?? '',
    readonlyRootfs: Boolean(r.HostConfig?.ReadonlyRootfs),
    privileged: Boolean(r.HostConfig?.Privileged),
    capAdd: r.HostConfig?.CapAdd ?? [],
    capDrop: r.HostConfig?.CapDrop ?? [],
    securityOpt: r.HostConfig?.SecurityOpt ?? [],
    memory: r.HostConfig?.Memory ?? 0,
    nanoCpus: r.HostConfig?.NanoCpus ?? 0,
    cpuQuota: r.HostConfig?.CpuQuota ?? 0,
    healthcheck: test && test.length > 0 && test[0] !== 'NONE' ? test : null,
    health: r.State?.Health?.Status || undefined,
    networkMode: r.HostConfig?.NetworkMode ?? 'default',
    networks: Object.keys(r.NetworkSettings?.Networks ?? {}).sort(),
    gateways: Object.fromEntries(Object.entries(r.NetworkSettings?.Networks ?? {}).map(([n, ep]) => [n, ep?.Gateway ?? ''])),
    mounts: (r.Mounts ?? []).map((m) => ({ type: m.Type ?? '', source: m.Source ?? '', destination: m.Destination ?? '', rw: Boolean(m.RW) })),
    ports,
  };
}

/** /proc/net/route holds addresses as little-endian hex: 0100D60A is 10.214.0.1. */
export function defaultGatewayOf(route: string): string | null {
  for (const l of route.split('\n').slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f[1] !== '00000000' || !f[2]) continue;
    const n = parseInt(f[2], 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
  }
  return null;
}

/** /proc/PID/status (Uid, CapEff, NoNewPrivs), /proc/PID/mounts ("/" options), /proc/PID/net/route (default route). */
export async function readPid1(ctx: SweepContext, pid: number): Promise<Pid1Facts | null> {
  if (!pid) return null;
  const t = ctx.target;
  const status = await readTextOrNull(t, `/proc/${pid}/status`).catch(() => null);
  if (status === null) return null;
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
  const mounts = (await readTextOrNull(t, `/proc/${pid}/mounts`).catch(() => null)) ?? '';
  const root = mounts
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[1] === '/')
    .pop();
  const route = await readTextOrNull(t, `/proc/${pid}/net/route`).catch(() => null);
  const uid = field('Uid')?.split(/\s+/)[1]; // effective uid
  const nnp = field('NoNewPrivs');
  return {
    pid,
    uid: uid === undefined ? undefined : Number(uid),
    capEff: field('CapEff'),
    noNewPrivs: nnp === undefined ? undefined : Number(nnp),
    rootOptions: root?.[3],
    defaultGateway: route === null ? undefined : defaultGatewayOf(route),
  };
}

/**
 * The command docker/compose.ts composeContainers runs first, declared by the docker checks so that a
 * remote batch answers it (the same argv, or it runs on a kept-open shell: one round trip more).
 */
export const DOCKER_COMPOSE_PS = ['docker', 'ps', '-a', '--no-trunc', '--filter', 'label=com.docker.compose.project', '--format', '{{json .}}'];
export const dockerCommands = (): string[][] => [DOCKER_COMPOSE_PS];

/** Running containers of every Compose project, inspected once, with what their PID 1 really has. */
export function dockerFacts(ctx: SweepContext): Promise<DockerFacts> {
  return ctx.memo('docker', async () => {
    const t = ctx.target;
    const none = (reason: string): DockerFacts => ({ available: false, reason, containers: [], internal: new Map() });
    if (!t.live) return none('containers are not available offline');
    try {
      const projects = await composeProjects(t);
      const ids = projects.flatMap((p) => p.containers.filter((c) => c.state === 'running').map((c) => c.id));
      const raw = (await inspectContainers(t, ids)) as unknown as RawInspect[];
      const names = [...new Set(raw.flatMap((r) => containerFromInspect(r).networks))];
      const internal = new Map<string, boolean>();
      // the networks are asked while the PID 1s are read (over ssh: two round trips at once, not one after the other)
      const [containers] = await Promise.all([
        Promise.all(raw.map(async (r) => ({ ...containerFromInspect(r), pid1: await readPid1(ctx, r.State?.Pid ?? 0) }))),
        names.length
          ? docker(t, ['network', 'inspect', ...names]).then((res) => {
              if (res.code === 0) for (const n of JSON.parse(res.stdout.toString('utf8')) as { Name: string; Internal?: boolean }[]) internal.set(n.Name, Boolean(n.Internal));
            })
          : undefined,
      ]);
      return { available: true, containers: containers.sort((a, b) => a.name.localeCompare(b.name)), internal };
    } catch (err) {
      if (err instanceof DockerUnavailable) return none(err.message);
      throw err;
    }
  });
}

export interface DaemonConfig {
  /** daemon.json as parsed, {} when missing */
  json: Record<string, unknown>;
  path: string;
  exists: boolean;
  /** dockerd command-line flags (`--icc=false`) of the running daemon */
  flags: string[];
  /** JSON error with its line */
  problem?: { message: string; line?: number };
}

/** daemon.json of the running dockerd (`--config-file`), else /etc/docker/daemon.json. */
export function daemonConfig(ctx: SweepContext): Promise<DaemonConfig> {
  return ctx.memo('daemon.json', async () => {
    let path = '/etc/docker/daemon.json';
    let flags: string[] = [];
    if (ctx.target.live) {
      const procs = await listProcesses(ctx.target).catch(() => []);
      const d = procs.find((p) => /(^|\/)dockerd$/.test(p.argv[0] ?? ''));
      if (d) {
        flags = d.argv.slice(1);
        const i = flags.findIndex((a) => a === '--config-file' || a.startsWith('--config-file='));
        if (i >= 0) path = flags[i]!.includes('=') ? flags[i]!.split('=')[1]! : flags[i + 1]!;
      }
    }
    const text = await ctx.read(path).catch(() => null);
    if (text === null) return { json: {}, path, exists: false, flags };
    try {
      return { json: JSON.parse(text) as Record<string, unknown>, path, exists: true, flags };
    } catch (err) {
      const pos = /position (\d+)/.exec((err as Error).message)?.[1];
      const line = pos ? text.slice(0, Number(pos)).split('\n').length : undefined;
      return { json: {}, path, exists: true, flags, problem: { message: `${path}${line ? ` line ${line}` : ''}: ${(err as Error).message}`, line } };
    }
  });
}
