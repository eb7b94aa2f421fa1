/**
 * With REDIS_URL set, the chat runs as one of many instances sharing rooms, presence,
 * the registry and the admin kick through Redis; without it, one process in memory.
 * ioredis is loaded only when asked for, so a plain `npm start` needs no Redis.
 */
import type { Hub } from 'portsocket'

export async function hubFromEnv(env: (name: string) => string | undefined): Promise<Hub | undefined> {
  const url = env('REDIS_URL')
  if (!url) return undefined
  const [{ Redis }, { RedisHub }] = await Promise.all([import('ioredis'), import('portsocket/redis')])
  const hub = new RedisHub({ client: new Redis(url), prefix: env('REDIS_PREFIX') ?? 'portsocket-chat' })
  await hub.ready()
  console.log(`instance ${hub.instanceId}, sharing rooms through ${url}`)
  return hub
}
