import { verdict, type SweepCheck } from '../check.js';
import { hostPort, dockerCommands } from '../facts/docker.js';
import { isLocalAddress } from '../facts/sockets.js';
import { inspectEvidence, perContainer } from './docker-common.js';

/** Docker's DNAT rules run before ufw's INPUT chain: a published port is open whatever ufw says. */
export const dockerPublishedPorts: SweepCheck = {
  id: 'IR-FW-004',
  title: 'Containers publish only policy ports on public addresses',
  area: 'firewall',
  severity: 'high',
  expected: (p) => `ports on 0.0.0.0/:: or a public address only among ${p.allowedPorts.join(', ')}; others on 127.0.0.1`,
  remediation: 'Publish as "127.0.0.1:PORT:PORT" (behind the reverse proxy), or drop the port mapping.',
  source: 'Hardening guide §3 UFW Firewall (ports) and §7 Network Isolation; Setup guide §7 Network Security',
  cis: '5.13',
  liveOnly: true,
  reads: ['docker inspect (NetworkSettings.Ports)'],
  commands: dockerCommands,
  run: (ctx) =>
    perContainer(ctx, (c) => {
      const allowed = new Set(ctx.policy.allowedPorts);
      const pub = c.ports.filter((p) => !isLocalAddress(p.hostIp));
      const bad = pub.filter((p) => !allowed.has(p.hostPort));
      const show = (ps: typeof pub) => ps.map((p) => hostPort(p)).join(', ');
      const data = bad.some((p) => p.hostPort in ctx.knobs.dataPorts);
      return verdict(bad.length === 0, bad.length ? `published past the firewall: ${show(bad)}` : pub.length ? `public: ${show(pub)}` : 'no public port', inspectEvidence(c, 'NetworkSettings.Ports'), data ? { severity: 'critical' } : {});
    }),
};
