import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerHealthcheck: SweepCheck = {
  id: 'IR-DCK-007',
  title: 'Container has a healthcheck and is healthy',
  area: 'docker',
  severity: 'low',
  expected: 'Config.Healthcheck defined, State.Health.Status healthy',
  remediation: '`healthcheck:` in compose.yaml (Redis: redis-cli ping; web: an HTTP check on /health).',
  source: `${DOCKER_SOURCE} §11 Health Checks, verification 9`,
  cis: '5.26',
  liveOnly: true,
  reads: ['docker inspect (Config.Healthcheck, State.Health.Status)'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) =>
      verdict(Boolean(c.healthcheck) && c.health === 'healthy', c.healthcheck ? `healthcheck ${c.healthcheck.slice(1).join(' ').slice(0, 80)}, status ${c.health ?? 'none'}` : 'no healthcheck', inspectEvidence(c, 'State.Health.Status')),
    ),
};
