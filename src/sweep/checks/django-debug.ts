import type { SweepCheck } from '../check.js';
import { perDjangoApp, shown } from './django-common.js';
import { dockerCommands } from '../facts/docker.js';

export const djangoDebug: SweepCheck = {
  id: 'IR-DJA-001',
  title: 'Django DEBUG is False',
  area: 'app',
  severity: 'high',
  expected: 'DEBUG = False (settings.py or DEBUG=False in .env)',
  remediation: 'DEBUG=False in the .env the service loads; DEBUG = os.getenv("DEBUG", "False").lower() == "true" in settings.py.',
  source: 'Setup guide §2 Configure Environment Variables, §6 Application Security Settings, checklist "Django DEBUG=False in production"',
  reads: ['APP/**/settings.py', 'APP/**/.env', '/etc/passwd /etc/systemd/system/*.service (the apps: WorkingDirectory=, User=)'],
  commands: dockerCommands,
  run: (ctx) =>
    perDjangoApp(
      ctx,
      ['DEBUG'],
      (v) => v.get('DEBUG')?.value !== true,
      (v) => shown('DEBUG', v.get('DEBUG'), "Django's default False"),
    ),
};
