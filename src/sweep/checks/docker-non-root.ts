import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer, procEvidence } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

const ROOT_USER = /^(|root|0)(:.*)?$/;

export const dockerNonRoot: SweepCheck = {
  id: 'IR-DCK-001',
  title: 'Container runs as a non-root user',
  area: 'docker',
  severity: 'high',
  expected: 'Config.User set to a non-root user and PID 1 with a non-zero uid',
  remediation: 'USER in the Dockerfile or `user: "1000:1000"` in compose.yaml.',
  source: `${DOCKER_SOURCE} §5 Non-Root Containers, verification 4`,
  cis: '4.1',
  liveOnly: true,
  reads: ['docker inspect (Config.User)', '/proc/PID/status (Uid of PID 1)'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) => {
      const configRoot = ROOT_USER.test(c.user.trim());
      const uid = c.pid1?.uid;
      const ok = !configRoot && (uid === undefined || uid !== 0);
      return verdict(ok, `user "${c.user || '(unset: root)'}", PID 1 uid ${uid ?? 'unknown'}`, [inspectEvidence(c, 'Config.User'), procEvidence(c, 'status')].filter(Boolean).join('; '));
    }),
};
