import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerCpuLimit: SweepCheck = {
  id: 'IR-DCK-006',
  title: 'Container has a CPU limit',
  area: 'docker',
  severity: 'low',
  expected: 'HostConfig.NanoCpus or CpuQuota > 0',
  remediation: '`deploy.resources.limits.cpus` (or cpus) in compose.yaml.',
  source: `${DOCKER_SOURCE} §8 Resource Limits, verification 7`,
  cis: '5.11',
  liveOnly: true,
  reads: ['docker inspect (HostConfig.NanoCpus, CpuQuota)'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) => {
      const cpus = c.nanoCpus > 0 ? c.nanoCpus / 1e9 : 0;
      const ok = c.nanoCpus > 0 || c.cpuQuota > 0;
      return verdict(ok, ok ? (cpus ? `cpus ${cpus}` : `CpuQuota ${c.cpuQuota}`) : 'no CPU limit', inspectEvidence(c, 'HostConfig.NanoCpus'));
    }),
};
