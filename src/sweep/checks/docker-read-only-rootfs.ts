import { verdict, type SweepCheck } from '../check.js';
import { DOCKER_SOURCE, inspectEvidence, perContainer, procEvidence } from './docker-common.js';
import { dockerCommands } from '../facts/docker.js';

/** The hardening guide probes with `touch /test`; we read the setting and the mount table instead of writing. */
export const dockerReadOnlyRootfs: SweepCheck = {
  id: 'IR-DCK-002',
  title: 'Container root filesystem is read-only',
  area: 'docker',
  severity: 'medium',
  expected: 'HostConfig.ReadonlyRootfs true and "/" mounted ro in PID 1',
  remediation: '`read_only: true` with tmpfs for /tmp in compose.yaml.',
  source: `${DOCKER_SOURCE} §9 Read-Only Filesystem, verification 5`,
  cis: '5.12',
  liveOnly: true,
  reads: ['docker inspect (HostConfig.ReadonlyRootfs)', '/proc/PID/mounts'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) => {
      const opts = c.pid1?.rootOptions;
      const mountRo = opts === undefined ? c.readonlyRootfs : /^ro(,|$)/.test(opts);
      return verdict(c.readonlyRootfs && mountRo, `ReadonlyRootfs ${c.readonlyRootfs}, / mounted ${opts ? opts.split(',')[0] : 'unknown'}`, [inspectEvidence(c, 'HostConfig.ReadonlyRootfs'), procEvidence(c, 'mounts')].filter(Boolean).join('; '));
    }),
};
