import { verdict, type SweepCheck } from '../check.js';
import { walkApp } from '../facts/apps.js';
import { listSome, modeText, SETUP_GUIDE, perApp } from './app-common.js';
import { dockerCommands } from '../facts/docker.js';

export const appWorldWritable: SweepCheck = {
  id: 'IR-APP-003',
  title: 'Nothing under the application is world-writable',
  area: 'app',
  severity: 'high',
  expected: 'no file or directory with the o+w bit',
  remediation: 'chmod o-w on each path, then find out what set it (a deploy script, an archive, an intruder).',
  source: `${SETUP_GUIDE} §4 File System Permissions`,
  lynis: 'FILE-7524',
  reads: ['APP/** (lstat)', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  run: (ctx) =>
    perApp(ctx, async (app) => {
      const { entries } = await walkApp(ctx, app.dir);
      const bad = entries.filter((e) => e.stat.type !== 'symlink' && (e.stat.mode & 0o002) !== 0);
      return verdict(bad.length === 0, bad.length ? listSome(bad.map((e) => `${e.path} ${modeText(e.stat.mode)}`)) : 'none', app.dir, bad.length ? { path: bad[0]!.path } : {});
    }),
};
