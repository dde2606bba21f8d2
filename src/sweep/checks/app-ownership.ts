import { na, verdict, type SweepCheck } from '../check.js';
import { walkApp } from '../facts/apps.js';
import { listSome, SETUP_GUIDE, perApp } from './app-common.js';
import { dockerCommands } from '../facts/docker.js';

export const appOwnership: SweepCheck = {
  id: 'IR-APP-004',
  title: 'Application files are owned by the app user (or root)',
  area: 'app',
  severity: 'medium',
  expected: 'owner = the app user (root-owned code the app cannot change is fine too)',
  remediation: 'chown -R APPUSER:APPUSER APP (keep code root-owned if the app must not rewrite it).',
  source: `${SETUP_GUIDE} §1 System User Creation, §4 File System Permissions, checklist "Application files owned by application user"`,
  reads: ['APP/** (lstat)', '/etc/passwd', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  run: (ctx) =>
    perApp(ctx, async (app) => {
      if (!app.user) return na('the app user is unknown (no User= and the owner has no account)', app.dir);
      const { entries } = await walkApp(ctx, app.dir);
      const bad = entries.filter((e) => e.stat.uid !== app.user!.uid && e.stat.uid !== 0);
      return verdict(bad.length === 0, bad.length ? `${bad.length} not owned by ${app.user.name}: ${listSome(bad.map((e) => `${e.path} (uid ${e.stat.uid})`))}` : `owned by ${app.user.name}`, app.dir);
    }),
};
