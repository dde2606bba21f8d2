import { verdict, type SweepCheck } from '../check.js';
import { REDIS_READS, REDIS_SOURCE, withRedis } from './redis-common.js';

export const redisPassword: SweepCheck = {
  id: 'IR-RDS-003',
  title: 'Redis requires a password',
  area: 'app',
  severity: 'high',
  expected: 'requirepass set, or ACL users with passwords (aclfile / user … >secret) and default off',
  remediation: 'requirepass LONG_RANDOM in redis.conf (or ACL users), and REDIS_PASSWORD in the app .env.',
  source: REDIS_SOURCE,
  lynis: 'DBS-1884',
  reads: [REDIS_READS],
  run: (ctx) =>
    withRedis(ctx, (r) => {
      const pass = r.values.get('requirepass');
      const acl = r.values.get('aclfile');
      const def = r.values.get('user:default');
      const ok = Boolean(pass?.value && pass.value !== '""') || Boolean(acl?.value) || Boolean(def && (/\boff\b/.test(def.value) || /(^|\s)[>#]/.test(def.value)));
      // the password itself is never shown
      return verdict(ok, pass?.value ? 'requirepass set' : acl ? `aclfile ${acl.value}` : def ? 'ACL user default configured' : 'no password', r.path, { path: r.path, line: (pass ?? acl ?? def)?.line });
    }),
};
