/**
 * The cross-instance scenario's RedisHub, the same on every runtime: ioredis on REDIS_URL
 * (default 127.0.0.1:6379), under the key prefix the runner gives each row
 * (BENCH_REDIS_PREFIX; it deletes the keys afterwards).
 */
import { Redis } from 'ioredis'
import { RedisHub } from '../../../src/redis/index.ts'

const g = globalThis as any
const read = (name: string): string | undefined => (g.Deno ? g.Deno.env.get(name) : g.process?.env?.[name])

export async function redisHub(): Promise<RedisHub> {
  const hub = new RedisHub({
    client: new Redis(read('REDIS_URL') ?? 'redis://127.0.0.1:6379'),
    prefix: read('BENCH_REDIS_PREFIX') ?? 'portsocket-bench',
  })
  await hub.ready()
  return hub
}
