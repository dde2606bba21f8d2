import { na, type Outcome } from '../check.js';
import type { SweepContext } from '../context.js';
import { dockerFacts, type SweptContainer } from '../facts/docker.js';

export const DOCKER_SOURCE = 'Hardening guide Docker Security';

/** One outcome per running Compose container, or one "not applicable" naming why there are none. */
export async function perContainer(ctx: SweepContext, fn: (c: SweptContainer) => Outcome | Promise<Outcome>): Promise<Outcome[]> {
  const d = await dockerFacts(ctx);
  if (!d.available) return [na(d.reason ?? 'Docker is not available', 'docker ps')];
  if (d.containers.length === 0) return [na('no running container of a Compose project', 'docker ps --filter label=com.docker.compose.project')];
  return Promise.all(d.containers.map(async (c) => ({ subject: c.name, ...(await fn(c)) })));
}

export const inspectEvidence = (c: SweptContainer, field: string): string => `docker inspect ${c.name} (${field})`;
export const procEvidence = (c: SweptContainer, file: string): string => (c.pid1 ? `/proc/${c.pid1.pid}/${file}` : '');
