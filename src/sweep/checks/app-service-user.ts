import { na, verdict, type Outcome, type SweepCheck } from '../check.js';
import { applications } from '../facts/apps.js';
import { dockerCommands } from '../facts/docker.js';

export const appServiceUser: SweepCheck = {
  id: 'IR-APP-005',
  title: 'Application service (gunicorn …) does not run as root',
  area: 'app',
  severity: 'high',
  expected: 'User= set to a dedicated non-root account in the unit',
  remediation: 'User=APPUSER and Group=www-data in the [Service] section, then systemctl daemon-reload && systemctl restart UNIT.',
  source: 'Setup guide §1 System User Creation, §10 Set Up Systemd Service for Gunicorn, checklist "Dedicated non-privileged user created"',
  reads: ['/etc/systemd/system/*.service (User=, WorkingDirectory=)', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  async run(ctx): Promise<Outcome[]> {
    const units = (await applications(ctx)).flatMap((a) => a.units);
    if (units.length === 0) return [na('no application systemd unit (WorkingDirectory=) found', '/etc/systemd/system/*.service')];
    return units.map((u) => {
      const user = u.user ?? '';
      const root = user === '' || user === 'root' || user === '0';
      return { subject: u.name, ...verdict(!root, `User=${user || '(unset: root)'}${u.execStart ? `, ExecStart=${u.execStart.split(' ')[0]}` : ''}`, u.path, { path: u.path }) };
    });
  },
};
