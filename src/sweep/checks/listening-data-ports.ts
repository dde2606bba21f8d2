import { na, verdict, type SweepCheck } from '../check.js';
import { isLocalAddress, listeningSockets, socketCommands } from '../facts/sockets.js';

export const listeningDataPorts: SweepCheck = {
  id: 'IR-FW-006',
  title: 'Redis and PostgreSQL do not listen on public addresses',
  area: 'firewall',
  severity: 'high',
  expected: '6379, 5432 (and other database ports) on loopback only',
  remediation: 'bind 127.0.0.1 ::1 (redis.conf), listen_addresses = \'localhost\' (postgresql.conf), or keep the service on an internal Docker network.',
  source: 'Hardening guide §3 UFW Firewall (6379 blocked, internal only); Setup guide §3 PostgreSQL, checklist "PostgreSQL configured to listen on localhost only"',
  lynis: 'DBS-1888',
  liveOnly: true,
  reads: ['ss -Htlnup'],
  commands: socketCommands,
  async run(ctx) {
    const s = await listeningSockets(ctx);
    if (!s) return na('ss is not installed', 'ss -Htlnup');
    const bad = s.sockets.filter((x) => x.proto === 'tcp' && x.port in ctx.knobs.dataPorts && !isLocalAddress(x.address));
    return verdict(bad.length === 0, bad.length ? bad.map((x) => `${ctx.knobs.dataPorts[x.port]} on ${x.address}:${x.port}${x.process ? ` (${x.process})` : ''}`).join('; ') : 'none on a public address', s.evidence);
  },
};
