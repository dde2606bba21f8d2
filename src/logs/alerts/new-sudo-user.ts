import { iso, type AuthAlert } from './unit.js';

const HOUR = 3_600_000;
/** log before an account's first sudo that makes it "new" rather than "the log starts here" */
export const SUDO_BASELINE_MS = 24 * HOUR;

export const newSudoUser: AuthAlert = {
  id: 'auth.new-sudo-user',
  title: 'An account ran sudo for the first time',
  severity: 'medium',
  attack: 'T1548.003',
  description: 'an account ran sudo for the first time, with at least 24 h of log before it and no sudo of it before `--since`',
  thresholds: [{ name: 'baseline', default: '24h', description: 'log before the first sudo (lines before --since count)' }],
  reads: { events: ['sudo.command'] },
  run({ stats: s }) {
    return [...s.sudo.values()]
      .filter((u) => u.count > 0 && !s.sudoBefore.has(u.user) && u.first - s.dataStart >= SUDO_BASELINE_MS)
      .map((u) => ({
        title: `${u.user} ran sudo for the first time in the logs`,
        entry: u.user,
        user: u.user,
        evidence: u.firstLine,
        reason: `no sudo by ${u.user} in the ${Math.floor((u.first - s.dataStart) / HOUR)} h of logs before ${iso(u.first)}`,
        time: u.first,
        details: { user: u.user, count: u.count, commands: [...u.commands.keys()].slice(0, 10) },
      }));
  },
};
