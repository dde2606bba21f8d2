import { verdict, type SweepCheck } from '../check.js';
import { parseGroup, parsePasswd } from '../../host/facts/passwd.js';

/** Setup guide §5 adds the app user to the docker group and warns that this is root-equivalent. */
export const dockerGroupMembers: SweepCheck = {
  id: 'IR-ACC-003',
  title: 'No account is in the docker group (root-equivalent)',
  area: 'accounts',
  severity: 'medium',
  expected: 'docker group empty (use sudo, rootless Docker or a socket proxy)',
  remediation: 'gpasswd -d USER docker for every account that does not need full root.',
  source: 'Setup guide §5 Docker Security ("adding users to the docker group grants root-equivalent privileges")',
  cis: '1.2.2',
  reads: ['/etc/group', '/etc/passwd'],
  async run(ctx) {
    const docker = parseGroup((await ctx.read('/etc/group')) ?? '').find((g) => g.name === 'docker');
    if (!docker) return verdict(true, 'no docker group', '/etc/group');
    const names = new Set(docker.members);
    for (const a of parsePasswd((await ctx.read('/etc/passwd')) ?? '')) if (a.gid === docker.gid) names.add(a.name);
    return verdict(names.size === 0, names.size ? `members: ${[...names].sort().join(', ')}` : 'docker group empty', '/etc/group (docker), /etc/passwd (primary group)');
  },
};
