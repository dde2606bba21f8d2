import { broken, na, type Outcome } from '../check.js';
import type { SweepContext } from '../context.js';
import { redisConf, type RedisConf } from '../facts/redis.js';

export { REDIS_READS } from '../facts/redis.js';

export const REDIS_SOURCE = 'Hardening guide §3 (Redis 6379 blocked) and §7 (Redis internal only); Setup guide §2 Redis Settings';

export async function withRedis(ctx: SweepContext, fn: (r: RedisConf) => Outcome): Promise<Outcome> {
  const r = await redisConf(ctx);
  if (!r) return na('no redis.conf on the host (a Redis in a container is judged by IR-DCK-012)', '/etc/redis/redis.conf');
  const e = r.errors[0];
  if (e) return broken(`${r.path} line ${e.line}: ${e.message}`, r.path, { path: r.path, line: e.line });
  return fn(r);
}
