import { na, verdict, type SweepCheck } from '../check.js';
import { isLocalAddress, listeningSockets, socketCommands } from '../facts/sockets.js';

export const listeningUnexpectedPorts: SweepCheck = {
  id: 'IR-FW-007',
  title: 'Only policy ports listen on public addresses',
  area: 'firewall',
  severity: 'medium',
  expected: (p) => `TCP listeners on public addresses only on ${p.allowedPorts.join(', ')}`,
  remediation: 'Bind the service to 127.0.0.1, stop it, or add the port to allowedPorts in the policy if it is meant to be public.',
  source: 'Hardening guide §3 UFW Firewall, Incident Response "Check listening ports" (ss -tlnp)',
  lynis: 'NETW-3012',
  liveOnly: true,
  reads: ['ss -Htlnup'],
  commands: socketCommands,
  async run(ctx) {
    const s = await listeningSockets(ctx);
    if (!s) return na('ss is not installed', 'ss -Htlnup');
    const allowed = new Set(ctx.policy.allowedPorts);
    const bad = s.sockets.filter((x) => x.proto === 'tcp' && !isLocalAddress(x.address) && !allowed.has(x.port));
    const shown = [...new Set(bad.map((x) => `${x.address}:${x.port}${x.process ? ` (${x.process})` : ''}`))];
    return verdict(bad.length === 0, bad.length ? shown.join('; ') : 'none outside the policy', s.evidence);
  },
};
