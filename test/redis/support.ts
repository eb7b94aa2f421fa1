import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import type { RedisClient } from '../../src/redis/index.ts'

export type ClientKind = 'ioredis' | 'redis'
export const clientKinds: readonly ClientKind[] = ['ioredis', 'redis']

/** The shared Redis of the machine (never flushed: every test works under a prefix of its own). */
export const SHARED_REDIS_URL = process.env.PORTSOCKET_REDIS_URL ?? 'redis://127.0.0.1:6379'

export function uniquePrefix(): string {
  return `portsocket-test:${randomUUID().slice(0, 8)}`
}

/** A client of the given kind; node-redis clients are connected by RedisHub itself. */
export function makeClient(kind: ClientKind, url = SHARED_REDIS_URL): RedisClient & { end(): Promise<void> } {
  if (kind === 'ioredis') {
    const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false })
    return Object.assign(client, { end: async () => void client.disconnect() }) as never
  }
  const client = createClient({ url, socket: { reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 500) } })
  return Object.assign(client, {
    end: async () => {
      if (client.isOpen) client.destroy()
    },
  }) as never
}

/** Deletes every key under a prefix (SCAN, never FLUSH). */
export async function removeKeys(prefix: string, url = SHARED_REDIS_URL): Promise<number> {
  const redis = new Redis(url)
  let removed = 0
  try {
    let cursor = '0'
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
      cursor = next
      if (found.length) removed += await redis.del(...found)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return removed
}

/** Keys under a prefix. */
export async function keysUnder(prefix: string, url = SHARED_REDIS_URL): Promise<string[]> {
  const redis = new Redis(url)
  try {
    return await redis.keys(`${prefix}:*`)
  } finally {
    redis.disconnect()
  }
}
