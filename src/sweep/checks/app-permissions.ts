import { verdict, type SweepCheck } from '../check.js';
import { walkApp } from '../facts/apps.js';
import { listSome, modeText, SETUP_GUIDE, perApp } from './app-common.js';
import { dockerCommands } from '../facts/docker.js';

export const appPermissions: SweepCheck = {
  id: 'IR-APP-002',
  title: 'Application directories 750, files 640 (nothing for others)',
  area: 'app',
  severity: 'medium',
  expected: 'no group-write and no permission for others (dirs 750, files 640 or 750)',
  remediation: 'find APP -type d -exec chmod 750 {} + ; find APP -type f -exec chmod 640 {} + (750 for scripts)',
  source: `${SETUP_GUIDE} §4 File System Permissions, checklist "File permissions set correctly"`,
  lynis: 'FILE-7524',
  reads: ['APP/** (lstat)', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  run: (ctx) =>
    perApp(ctx, async (app) => {
      const { entries, truncated } = await walkApp(ctx, app.dir);
      const bad = entries.filter((e) => (e.stat.type === 'file' || e.stat.type === 'dir') && (e.stat.mode & 0o027) !== 0);
      const note = truncated ? ` (first ${entries.length} entries only)` : '';
      return verdict(bad.length === 0, bad.length ? `${bad.length} of ${entries.length}${note}: ${listSome(bad.map((e) => `${e.path} ${modeText(e.stat.mode)}`))}` : `${entries.length} entries${note}, none open to others`, app.dir);
    }),
};
