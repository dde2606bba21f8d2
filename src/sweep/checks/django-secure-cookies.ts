import type { SweepCheck } from '../check.js';
import { perDjangoApp, shown } from './django-common.js';
import { dockerCommands } from '../facts/docker.js';

const NAMES = ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE'];

export const djangoSecureCookies: SweepCheck = {
  id: 'IR-DJA-002',
  title: 'Django session and CSRF cookies are Secure',
  area: 'app',
  severity: 'medium',
  expected: 'SESSION_COOKIE_SECURE = True and CSRF_COOKIE_SECURE = True',
  remediation: 'SESSION_COOKIE_SECURE=True and CSRF_COOKIE_SECURE=True in .env (read by settings.py).',
  source: 'Setup guide §2 Security Settings (.env), §6 Application Security Settings',
  reads: ['APP/**/settings.py', 'APP/**/.env', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  run: (ctx) =>
    perDjangoApp(
      ctx,
      NAMES,
      (v) => NAMES.every((n) => v.get(n)?.value === true),
      (v) => NAMES.map((n) => shown(n, v.get(n), 'False')).join(', '),
    ),
};
