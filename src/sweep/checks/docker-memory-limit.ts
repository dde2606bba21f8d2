import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerMemoryLimit: SweepCheck = {
  id: 'IR-DCK-005',
  title: 'Container has a memory limit',
  area: 'docker',
  severity: 'medium',
  expected: 'HostConfig.Memory > 0',
  remediation: '`deploy.resources.limits.memory` (or mem_limit) in compose.yaml.',
  source: `${DOCKER_SOURCE} §8 Resource Limits, verification 7`,
  cis: '5.10',
  liveOnly: true,
  reads: ['docker inspect (HostConfig.Memory)'],
  commands: dockerCommands,
  run: (ctx) => perContainer(ctx, (c) => verdict(c.memory > 0, c.memory > 0 ? `memory ${Math.round(c.memory / 1048576)} MiB` : 'no memory limit', inspectEvidence(c, 'HostConfig.Memory'))),
};
