import { verdict, type SweepCheck } from '../check.js';
import { REDIS_READS, REDIS_SOURCE, withRedis } from './redis-common.js';

export const redisProtectedMode: SweepCheck = {
  id: 'IR-RDS-002',
  title: 'Redis protected-mode is on',
  area: 'app',
  severity: 'medium',
  expected: 'protected-mode yes',
  remediation: 'protected-mode yes in redis.conf.',
  source: REDIS_SOURCE,
  reads: [REDIS_READS],
  run: (ctx) =>
    withRedis(ctx, (r) => {
      const p = r.values.get('protected-mode');
      return verdict((p?.value ?? 'yes').toLowerCase() === 'yes', `protected-mode ${p?.value ?? 'yes (default)'}`, p ? `${r.path} line ${p.line}` : r.path, { path: r.path, line: p?.line });
    }),
};
