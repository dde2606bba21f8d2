import type { SweepContext } from '../context.js';

export interface RedisConf {
  path: string;
  /** directive → [value, line] (the last one wins, as in Redis) */
  values: Map<string, { value: string; line: number }>;
  errors: { line: number; message: string }[];
}

const CANDIDATES = ['/etc/redis/redis.conf', '/etc/redis.conf', '/usr/local/etc/redis/redis.conf'];

/** What the Redis checks read: the first of these that exists. */
export const REDIS_READS = `${CANDIDATES.join(' ')} (the first that exists)`;

export function redisConf(ctx: SweepContext): Promise<RedisConf | null> {
  return ctx.memo('redis', async () => {
    for (const path of CANDIDATES) {
      const text = await ctx.read(path).catch(() => null);
      if (text === null) continue;
      const values = new Map<string, { value: string; line: number }>();
      const errors: RedisConf['errors'] = [];
      text.split('\n').forEach((raw, i) => {
        const line = raw.trim();
        if (!line || line.startsWith('#')) return;
        const m = /^([A-Za-z][\w-]*)(?:\s+(.*))?$/.exec(line);
        if (!m) return errors.push({ line: i + 1, message: `cannot parse "${line.slice(0, 60)}"` });
        const key = m[1]!.toLowerCase();
        const value = (m[2] ?? '').trim();
        // `user` lines accumulate (ACL); the rest: last one wins
        values.set(key === 'user' ? `user:${value.split(/\s+/)[0]}` : key, { value, line: i + 1 });
      });
      return { path, values, errors };
    }
    return null;
  });
}
