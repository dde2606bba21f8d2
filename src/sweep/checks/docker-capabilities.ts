import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer, procEvidence } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerCapabilities: SweepCheck = {
  id: 'IR-DCK-003',
  title: 'Container drops all capabilities',
  area: 'docker',
  severity: 'medium',
  expected: 'CapDrop ALL; CapEff of PID 1 zero or only what CapAdd gives back',
  remediation: '`cap_drop: [ALL]` and add back only what the service needs (Redis: SETUID, SETGID).',
  source: `${DOCKER_SOURCE} §10 Dropped Capabilities, verification 6`,
  cis: '5.3',
  liveOnly: true,
  reads: ['docker inspect (HostConfig.CapDrop, CapAdd)', '/proc/PID/status (CapEff)'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) => {
      const dropAll = c.capDrop.some((x) => x.toUpperCase() === 'ALL');
      const eff = c.pid1?.capEff;
      const effOk = eff === undefined || /^0+$/.test(eff) || c.capAdd.length > 0;
      return verdict(dropAll && effOk, `CapDrop [${c.capDrop.join(', ')}], CapAdd [${c.capAdd.join(', ')}], CapEff ${eff ?? 'unknown'}`, [inspectEvidence(c, 'HostConfig.CapDrop'), procEvidence(c, 'status')].filter(Boolean).join('; '));
    }),
};
