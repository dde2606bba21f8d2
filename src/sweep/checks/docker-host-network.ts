import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerHostNetwork: SweepCheck = {
  id: 'IR-DCK-011',
  title: "Container does not share the host's network",
  area: 'docker',
  severity: 'high',
  expected: 'NetworkMode is not host',
  remediation: 'Remove `network_mode: host`; publish the ports the service needs on 127.0.0.1.',
  source: `${DOCKER_SOURCE} §7 Network Isolation`,
  cis: '5.9',
  liveOnly: true,
  reads: ['docker inspect (HostConfig.NetworkMode)'],
  commands: dockerCommands,
  run: (ctx) => perContainer(ctx, (c) => verdict(c.networkMode !== 'host', `NetworkMode ${c.networkMode}`, inspectEvidence(c, 'HostConfig.NetworkMode'))),
};
