import { na, verdict, type Outcome, type SweepCheck } from '../check.js';
import { dockerFacts, hostPort, dockerCommands } from '../facts/docker.js';
import { DOCKER_SOURCE, procEvidence } from './docker-common.js';

/**
 * The hardening guide proves isolation with `docker exec <redis container> ping 8.8.8.8`. ir never sends traffic off
 * the host: it reads the networks' Internal flag and the container's own routing table instead.
 */
export const dockerInternalNetwork: SweepCheck = {
  id: 'IR-DCK-012',
  title: 'Databases and caches sit on internal networks only',
  area: 'docker',
  severity: 'high',
  expected: 'every network Internal, no published port, no default route',
  remediation: 'Attach the service only to a network with `internal: true`, publish no port.',
  source: `${DOCKER_SOURCE} §7 Network Isolation, verification 8`,
  liveOnly: true,
  reads: ['docker inspect (NetworkSettings)', 'docker network inspect (Internal)', '/proc/PID/net/route'],
  commands: dockerCommands,
  async run(ctx): Promise<Outcome[]> {
    const d = await dockerFacts(ctx);
    if (!d.available) return [na(d.reason ?? 'Docker is not available', 'docker ps')];
    const data = d.containers.filter((c) => ctx.knobs.dataServicePattern.test(c.image.split('@')[0]!) || ctx.knobs.dataServicePattern.test(c.service ?? '') || ctx.knobs.dataServicePattern.test(c.name));
    if (data.length === 0) return [na('no database or cache container (by image or service name)', 'docker ps')];
    return data.map((c) => {
      const external = c.networks.filter((n) => d.internal.get(n) !== true);
      const problems: string[] = [];
      if (c.networkMode === 'host') problems.push('host network');
      if (external.length) problems.push(`not internal: ${external.join(', ')}`);
      if (c.ports.length) problems.push(`published: ${c.ports.map((p) => hostPort(p)).join(', ')}`);
      // Docker gives internal networks a gateway too, and drops what leaves them: only a default route
      // through a non-internal network reaches beyond the host
      const gw = c.pid1?.defaultGateway;
      const via = gw ? Object.entries(c.gateways).find(([, g]) => g === gw)?.[0] : undefined;
      if (gw && (!via || d.internal.get(via) !== true)) problems.push(`default route via ${gw}${via ? ` (${via})` : ''}`);
      return {
        subject: c.name,
        ...verdict(problems.length === 0, problems.length ? problems.join('; ') : `internal only (${c.networks.join(', ')})${gw ? `, default route via ${gw} on an internal network` : ', no default route'}`, [`docker network inspect ${c.networks.join(' ')} (Internal)`, procEvidence(c, 'net/route')].filter(Boolean).join('; ')),
      };
    });
  },
};
