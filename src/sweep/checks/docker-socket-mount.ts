import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerSocketMount: SweepCheck = {
  id: 'IR-DCK-010',
  title: 'Docker socket is not mounted into the container',
  area: 'docker',
  severity: 'critical',
  expected: 'no mount of docker.sock',
  remediation: 'Remove the /var/run/docker.sock volume: whoever controls the container controls the host.',
  source: `${DOCKER_SOURCE}; Setup guide §5 Docker Security (docker access is root-equivalent)`,
  cis: '5.31',
  liveOnly: true,
  reads: ['docker inspect (Mounts)'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) => {
      const sock = c.mounts.filter((m) => /docker\.sock$/.test(m.source) || /docker\.sock$/.test(m.destination));
      return verdict(sock.length === 0, sock.length ? `mounted: ${sock.map((m) => `${m.source}:${m.destination}${m.rw ? '' : ':ro'}`).join(', ')}` : 'not mounted', inspectEvidence(c, 'Mounts'));
    }),
};
