/**
 * Redis killed (SIGKILL, no persistence) and restarted under four running instances
 * (Node+ioredis, Node+node-redis, Bun+ioredis, Deno+node-redis) on a private redis-server:
 * no instance crashes, calls during the outage fail with HubUnavailableError while local
 * delivery goes on, and delivery and the registry work again once Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../support/client.ts'
import { api, join, member, startMixedInstances, type Instance, type Member } from './cluster.ts'
import { PrivateRedis } from './redis-server.ts'
import { uniquePrefix } from './support.ts'

/** What the README promises: working again within this long after Redis answers. */
const RECOVERY_MS = 10_000
let redis: PrivateRedis
let instances: Instance[] = []
let clients: Member[] = []

beforeAll(async () => {
  redis = await PrivateRedis.start()
  const options = { prefix: uniquePrefix(), url: redis.url, leaseTtl: 3000, renew: 1000 }
  instances = await startMixedInstances(options)
}, 120_000)

afterAll(async () => {
  for (const client of clients) client.close()
  await Promise.all(instances.map((i) => i.stop()))
  await redis?.kill()
})

async function everyoneHears(room: string, text: string): Promise<void> {
  for (const sender of clients) {
    sender.emit('say', { room, text: `${text} from ${sender.at.label}` })
    expect(await sender.nextEvent('said'), sender.at.label).toEqual({ delivered: 4, missing: [] })
    for (const client of clients) expect(await client.nextText()).toBe(`${text} from ${sender.at.label}`)
  }
}

describe('a Redis restart under running instances', () => {
  it('fails cross-instance calls fast during the outage and recovers by itself', async () => {
    const r = 'restart-room'
    clients = await Promise.all(instances.map((at, i) => member(at, '/ws/rooms', `m${i}`)))
    for (const client of clients) await join(client, r)
    await everyoneHears(r, 'before')

    await redis.kill()
    for (const [i, at] of instances.entries()) {
      // The registry answers 503 (the fixture's mapping of HubUnavailableError).
      const started = Date.now()
      await waitFor(async () => (await api(at, '/api/connections')).status === 503, 5000, `${at.label} to notice the outage`)
      const { body } = await api(at, '/api/connections')
      expect(body.error).toBe('HubUnavailableError')
      expect(Date.now() - started).toBeLessThan(5000)
      // A room send reaches the local member, then fails with the documented error.
      const sender = clients[i]!
      sender.emit('say', { room: r, text: `during from ${at.label}` })
      expect(await sender.nextEvent('failed')).toMatchObject({ name: 'HubUnavailableError' })
      expect(await sender.nextText()).toBe(`during from ${at.label}`)
      // Joining still works locally.
      expect(await join(sender, `${r}-during`)).toEqual([r, `${r}-during`])
    }

    await redis.restart()
    const back = Date.now()
    console.log('redis restarted; waiting for recovery')
    // Everything this instance knew is registered again, in an empty Redis.
    await waitFor(
      async () => {
        for (const at of instances) {
          const list = await api<{ id: string }[]>(at, '/api/connections')
          if (list.status !== 200 || list.body.length !== 4) return false
          const inRoom = await api<{ id: string }[]>(at, `/api/rooms/${r}-during`)
          if (inRoom.body.length !== 4) return false
        }
        return true
      },
      RECOVERY_MS,
      'every instance to register its connections again',
    )
    await everyoneHears(r, 'after')
    await everyoneHears(`${r}-during`, 'joined during the outage')
    console.log(`recovered ${Date.now() - back} ms after Redis was back`)
    expect(Date.now() - back).toBeLessThan(RECOVERY_MS)
    for (const at of instances) expect(at.process.exitCode, `${at.label} exited:\n${at.output()}`).toBeNull()
    for (const client of clients) expect(client.isOpen).toBe(true)
  })
})
