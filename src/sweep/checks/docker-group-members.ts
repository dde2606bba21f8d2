import { verdict, type SweepCheck } from '../check.js';
import { parsePasswd } from '../../scan/facts.js';

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
    const group = (await ctx.read('/etc/group')) ?? '';
    const line = group.split('\n').find((l) => l.startsWith('docker:'));
    if (!line) return verdict(true, 'no docker group', '/etc/group');
    const [, , gid, members] = line.split(':');
    const names = new Set((members ?? '').split(',').map((s) => s.trim()).filter(Boolean));
    for (const a of parsePasswd((await ctx.read('/etc/passwd')) ?? '')) if (String(a.gid) === gid) names.add(a.name);
    return verdict(names.size === 0, names.size ? `members: ${[...names].sort().join(', ')}` : 'docker group empty', '/etc/group (docker), /etc/passwd (primary group)');
  },
};
