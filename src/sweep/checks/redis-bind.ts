import { verdict, type SweepCheck } from '../check.js';
import { REDIS_READS, REDIS_SOURCE, withRedis } from './redis-common.js';

export const redisBind: SweepCheck = {
  id: 'IR-RDS-001',
  title: 'Redis binds to loopback only',
  area: 'app',
  severity: 'high',
  expected: 'bind 127.0.0.1 -::1',
  remediation: 'bind 127.0.0.1 -::1 in redis.conf, then systemctl restart redis-server.',
  source: REDIS_SOURCE,
  lynis: 'DBS-1888',
  reads: [REDIS_READS],
  run: (ctx) =>
    withRedis(ctx, (r) => {
      const b = r.values.get('bind');
      const addrs = (b?.value ?? '').split(/\s+/).filter(Boolean).map((a) => a.replace(/^-/, ''));
      const ok = addrs.length > 0 && addrs.every((a) => /^127\./.test(a) || a === '::1' || a === 'localhost');
      return verdict(ok, b ? `bind ${b.value}` : 'no bind (all interfaces)', b ? `${r.path} line ${b.line}` : r.path, { path: r.path, line: b?.line });
    }),
};
