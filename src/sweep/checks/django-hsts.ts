import type { SweepCheck } from '../check.js';
import { perDjangoApp, shown } from './django-common.js';
import { dockerCommands } from '../facts/docker.js';

export const djangoHsts: SweepCheck = {
  id: 'IR-DJA-003',
  title: 'Django sends HSTS',
  area: 'app',
  severity: 'low',
  expected: 'SECURE_HSTS_SECONDS ≥ 31536000',
  remediation: 'SECURE_HSTS_SECONDS = 31536000 and SECURE_HSTS_INCLUDE_SUBDOMAINS = True in settings.py (or add_header Strict-Transport-Security in nginx).',
  source: 'Setup guide §6 Application Security Settings',
  reads: ['APP/**/settings.py', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  run: (ctx) =>
    perDjangoApp(
      ctx,
      ['SECURE_HSTS_SECONDS'],
      (v) => Number(v.get('SECURE_HSTS_SECONDS')?.value ?? 0) >= 31536000,
      (v) => shown('SECURE_HSTS_SECONDS', v.get('SECURE_HSTS_SECONDS'), '0'),
    ),
};
