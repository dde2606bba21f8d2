import { na, verdict, type SweepCheck } from '../check.js';
import { argvText } from '../context.js';
import { dockerFacts, dockerCommands } from '../facts/docker.js';
import { isLocalAddress } from '../facts/sockets.js';

/** With ports published on public addresses, only rules in DOCKER-USER filter what reaches the containers. */
export const dockerUserChain: SweepCheck = {
  id: 'IR-FW-005',
  title: 'DOCKER-USER chain filters published container ports',
  area: 'firewall',
  severity: 'medium',
  expected: 'no public published port, or DOCKER-USER holds rules besides RETURN',
  remediation: 'Add filtering rules to DOCKER-USER (e.g. -i eth0 ! -s ADMIN_RANGE -j DROP), or publish on 127.0.0.1 only.',
  source: 'Hardening guide §3 UFW Firewall; Setup guide §8 Firewall Configuration',
  liveOnly: true,
  reads: ['docker inspect (NetworkSettings.Ports)', 'iptables -S DOCKER-USER'],
  commands: dockerCommands,
  async run(ctx) {
    const d = await dockerFacts(ctx);
    if (!d.available) return na(d.reason ?? 'Docker is not available', 'docker ps');
    const pub = d.containers.flatMap((c) => c.ports).filter((p) => !isLocalAddress(p.hostIp));
    if (pub.length === 0) return verdict(true, 'no container publishes a port on a public address', 'docker inspect (NetworkSettings.Ports)');
    const argv = ['iptables', '-S', 'DOCKER-USER'];
    const res = await ctx.run(argv);
    if (!res) return na('iptables is not installed', argvText(argv));
    if (res.code !== 0) return na(`no DOCKER-USER chain in this network namespace (dockerd runs elsewhere or with iptables off): ${res.stderr.toString().trim().split('\n')[0]}`, argvText(argv));
    const rules = res.stdout.toString().split('\n').filter((l) => l.startsWith('-A DOCKER-USER') && !/-j RETURN\s*$/.test(l));
    return verdict(rules.length > 0, rules.length ? `${rules.length} filtering rule(s): ${rules[0]}` : `only RETURN, while ${pub.length} port(s) are published`, argvText(argv));
  },
};
