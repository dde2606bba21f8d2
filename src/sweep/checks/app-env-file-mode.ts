import { na, verdict, type SweepCheck } from '../check.js';
import { envFiles } from '../facts/apps.js';
import { listSome, modeText, SETUP_GUIDE, perApp } from './app-common.js';
import { dockerCommands } from '../facts/docker.js';

export const appEnvFileMode: SweepCheck = {
  id: 'IR-APP-001',
  title: '.env files are mode 600 and owned by the app user',
  area: 'app',
  severity: 'high',
  expected: 'mode 600 (no group or other bits), owner = the app user',
  remediation: 'chmod 600 FILE && chown APPUSER:APPUSER FILE',
  source: `${SETUP_GUIDE} §2 Configure Environment Variables, §4 Protect Sensitive Files, checklist ".env file has 600 permissions"`,
  reads: ['APP/**/.env', 'EnvironmentFile= of the app units', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  run: (ctx) =>
    perApp(ctx, async (app) => {
      const files = await envFiles(ctx, app);
      if (files.length === 0) return na('no .env file in the application', app.dir);
      const bad: string[] = [];
      for (const f of files) {
        const st = await ctx.target.stat(f).catch(() => null);
        if (!st) continue;
        if ((st.mode & 0o177) !== 0 || (app.user && st.uid !== app.user.uid)) bad.push(`${f} (${modeText(st.mode)}, uid ${st.uid})`);
      }
      return verdict(bad.length === 0, bad.length ? listSome(bad) : `${files.length} file(s) 600, owned by ${app.user?.name ?? 'the owner'}`, files.join(', '), bad.length ? { path: files[0] } : {});
    }),
};
