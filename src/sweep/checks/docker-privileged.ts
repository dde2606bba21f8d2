import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerPrivileged: SweepCheck = {
  id: 'IR-DCK-009',
  title: 'Container is not privileged',
  area: 'docker',
  severity: 'critical',
  expected: 'HostConfig.Privileged false',
  remediation: 'Remove `privileged: true`; add the one capability or device the service needs instead.',
  source: `${DOCKER_SOURCE} §10 Dropped Capabilities`,
  cis: '5.4',
  liveOnly: true,
  reads: ['docker inspect (HostConfig.Privileged)'],
  commands: dockerCommands,
  run: (ctx) => perContainer(ctx, (c) => verdict(!c.privileged, `Privileged ${c.privileged}`, inspectEvidence(c, 'HostConfig.Privileged'))),
};
