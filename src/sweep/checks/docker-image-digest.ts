import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerImageDigest: SweepCheck = {
  id: 'IR-DCK-008',
  title: 'Container image is pinned by digest',
  area: 'docker',
  severity: 'medium',
  expected: 'Config.Image name@sha256:… (or a content-addressed image id)',
  remediation: 'image: name:tag@sha256:DIGEST in compose.yaml (`docker buildx imagetools inspect name:tag` prints it).',
  source: `${DOCKER_SOURCE} §6 Pinned Image Versions`,
  liveOnly: true,
  reads: ['docker inspect (Config.Image)'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) => {
      const digest = /@sha256:[0-9a-f]{64}$/.test(c.image);
      const id = /^sha256:[0-9a-f]{64}$/.test(c.image);
      return verdict(digest || id, digest ? `pinned: ${c.image}` : id ? `pinned by local image id ${c.image.slice(0, 19)}…` : `tag only: ${c.image}`, inspectEvidence(c, 'Config.Image'));
    }),
};
