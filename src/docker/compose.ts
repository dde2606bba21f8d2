import type { Target } from '../host/target.js';
import { dockerOk } from './cli.js';

/** One row of `docker ps --format '{{json .}}'`, the fields we use. */
export interface ContainerRow {
  id: string;
  name: string;
  image: string;
  state: string;
  status: string;
  labels: Record<string, string>;
  networks: string[];
  ports: string;
}

export interface ComposeProject {
  name: string;
  workingDir?: string;
  configFiles: string[];
  containers: ContainerRow[];
}

/** `docker ps` prints labels as one comma-joined string; values may contain commas, keys never contain `=`. */
export function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let lastKey: string | undefined;
  for (const part of s ? s.split(',') : []) {
    const eq = part.indexOf('=');
    if (eq > 0 && /^[\w.-]+$/.test(part.slice(0, eq))) {
      lastKey = part.slice(0, eq);
      out[lastKey] = part.slice(eq + 1);
    } else if (lastKey) {
      out[lastKey] += ',' + part;
    }
  }
  return out;
}

export function parseContainerRows(ndjson: string): ContainerRow[] {
  const rows: ContainerRow[] = [];
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as Record<string, string>;
    rows.push({
      id: r.ID ?? '',
      name: (r.Names ?? '').split(',')[0] ?? '',
      image: r.Image ?? '',
      state: r.State ?? '',
      status: r.Status ?? '',
      labels: parseLabels(r.Labels ?? ''),
      networks: r.Networks ? r.Networks.split(',') : [],
      ports: r.Ports ?? '',
    });
  }
  return rows;
}

/** `docker ps` of the containers that carry Compose's labels (arguments after `docker`). */
export const COMPOSE_PS = ['ps', '-a', '--no-trunc', '--filter', 'label=com.docker.compose.project', '--format', '{{json .}}'];

/** Every container (running or not) that carries Compose's labels, v1 and v2 alike. */
export async function composeContainers(target: Target): Promise<ContainerRow[]> {
  const out = await dockerOk(target, COMPOSE_PS);
  return parseContainerRows(out);
}

/** Compose projects found from the containers' `com.docker.compose.*` labels. */
export async function composeProjects(target: Target): Promise<ComposeProject[]> {
  const byName = new Map<string, ComposeProject>();
  for (const c of await composeContainers(target)) {
    const name = c.labels['com.docker.compose.project'];
    if (!name) continue;
    let p = byName.get(name);
    if (!p) {
      p = {
        name,
        workingDir: c.labels['com.docker.compose.project.working_dir'],
        configFiles: (c.labels['com.docker.compose.project.config_files'] ?? '').split(',').filter(Boolean),
        containers: [],
      };
      byName.set(name, p);
    }
    p.containers.push(c);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** `docker inspect` of several containers at once (one round trip). */
export async function inspectContainers(target: Target, ids: string[]): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  return JSON.parse(await dockerOk(target, ['inspect', '--type', 'container', ...ids], { maxBuffer: 256 * 1024 * 1024 })) as Record<string, unknown>[];
}
