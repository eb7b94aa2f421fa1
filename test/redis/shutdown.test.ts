/**
 * Graceful shutdown (SIGTERM → server.close()) of one of two instances, Deno+ioredis and
 * Bun+node-redis here (the other pairings run in instances.test.ts): its members leave
 * with presence announcements and every key it wrote is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { api, join, member, startInstance, type Instance } from './cluster.ts'
import { keysUnder, removeKeys, SHARED_REDIS_URL, uniquePrefix } from './support.ts'

const prefix = uniquePrefix()
let instances: Instance[] = []

beforeAll(async () => {
  instances = await Promise.all([startInstance('deno', 'ioredis', { prefix }), startInstance('bun', 'redis', { prefix })])
}, 120_000)

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()))
  await removeKeys(prefix)
})

describe('graceful shutdown of one instance', () => {
  it('removes everything it wrote, and its members leave in front of the others', async () => {
    const [deno, bun] = instances as [Instance, Instance]
    const stays = await member(deno, '/ws/presence', 'stays')
    const goes = await Promise.all([member(bun, '/ws/presence', 'goes1'), member(bun, '/ws/presence', 'goes2')])
    await join(stays, 'lobby')
    for (const client of goes) await join(client, 'lobby')
    for (const client of goes) expect(await stays.nextEvent('presence')).toMatchObject({ action: 'join', member: { id: client.id } })
    expect((await keysUnder(prefix)).some((k) => k.includes(bun.instanceId))).toBe(true)

    await bun.stop()
    for (const client of goes) expect((await client.waitClosed()).code).toBe(1001)
    const leaves = [await stays.nextEvent('presence'), await stays.nextEvent('presence')]
    expect(leaves.map((p) => p.action)).toEqual(['leave', 'leave'])
    expect(leaves.map((p) => p.member.id).sort()).toEqual(goes.map((c) => c.id).sort())
    expect(bun.output()).toContain('shutdown complete')
    expect((await keysUnder(prefix)).filter((k) => k.includes(bun.instanceId))).toEqual([])
    const list = (await api<{ id: string }[]>(deno, '/api/connections')).body
    expect(list.map((c) => c.id)).toEqual([stays.id])
    expect((await api(deno, '/api/rooms/lobby')).body.map((m: { id: string }) => m.id)).toEqual([stays.id])
    // Nor in the lease set or the routing table.
    const redis = new Redis(SHARED_REDIS_URL)
    try {
      expect(await redis.zscore(`${prefix}:instances`, bun.instanceId)).toBeNull()
      expect(await redis.zscore(`${prefix}:instances`, deno.instanceId)).not.toBeNull()
      expect(Object.values(await redis.hgetall(`${prefix}:conns`))).toEqual([deno.instanceId])
    } finally {
      redis.disconnect()
    }
    stays.close()
  })
})
