import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer, procEvidence } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

export const dockerNoNewPrivileges: SweepCheck = {
  id: 'IR-DCK-004',
  title: 'Container cannot gain new privileges',
  area: 'docker',
  severity: 'medium',
  expected: 'security_opt no-new-privileges:true; NoNewPrivs 1 in PID 1',
  remediation: '`security_opt: ["no-new-privileges:true"]` in compose.yaml (or "no-new-privileges": true in daemon.json).',
  source: `${DOCKER_SOURCE} §10 Dropped Capabilities`,
  cis: '5.25',
  liveOnly: true,
  reads: ['docker inspect (HostConfig.SecurityOpt)', '/proc/PID/status (NoNewPrivs)'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) => {
      const opt = c.securityOpt.some((s) => /^no-new-privileges(:true|=true)?$/.test(s));
      const nnp = c.pid1?.noNewPrivs;
      return verdict(nnp === undefined ? opt : nnp === 1, `SecurityOpt [${c.securityOpt.join(', ')}], NoNewPrivs ${nnp ?? 'unknown'}`, [inspectEvidence(c, 'HostConfig.SecurityOpt'), procEvidence(c, 'status')].filter(Boolean).join('; '));
    }),
};
