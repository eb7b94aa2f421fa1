/**
 * One fixture app as four instances on one Redis: Node with ioredis, Node with node-redis,
 * Bun with ioredis, Deno with node-redis. Clients are spread over them, and every
 * delivery and registry call crosses instances. The last case kills one with SIGKILL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../support/client.ts'
import { api, join, member, sleep, startMixedInstances, type Instance, type Member } from './cluster.ts'
import { removeKeys, uniquePrefix } from './support.ts'

const LEASE_TTL = 3000
const prefix = uniquePrefix()
let instances: Instance[] = []
const open: Member[] = []

beforeAll(async () => {
  const options = { prefix, leaseTtl: LEASE_TTL, renew: 1000 }
  instances = await startMixedInstances(options)
}, 120_000)

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()))
  await removeKeys(prefix)
})

/** Every test starts from an empty registry: its clients closed and gone from every answer. */
afterEach(async () => {
  for (const client of open.splice(0)) client.close()
  await waitFor(async () => (await api(instances[0]!, '/api/connections')).body.length === 0, 10_000, 'the registry to empty')
})

async function members(path = '/ws/rooms'): Promise<Member[]> {
  const list = await Promise.all(instances.map((at, i) => member(at, path, `m${i}`)))
  open.push(...list)
  return list
}

const room = () => `room-${Math.random().toString(36).slice(2, 8)}`

/** Nothing more arrives for a moment: each recipient got its message exactly once. */
async function nothingMore(clients: Member[]): Promise<void> {
  await sleep(300)
  for (const client of clients) expect(client.pending, `${client.at.label} got extra messages`).toBe(0)
}

describe('one app across instances (Node, Bun, Deno on one Redis)', () => {
  it('delivers to a room with members on every instance, each once, with counts', async () => {
    const r = room()
    const clients = await members()
    for (const client of clients) await join(client, r)
    for (const sender of clients) {
      sender.emit('say', { room: r, text: `from ${sender.at.label}` })
      expect(await sender.nextEvent('said')).toEqual({ delivered: 4, missing: [] })
      for (const client of clients) expect(await client.nextText()).toBe(`from ${sender.at.label}`)
    }
    await nothingMore(clients)
    // socket.to(room): everyone but the sender, wherever they are.
    clients[2]!.emit('others', { room: r, text: 'not for bun' })
    expect(await clients[2]!.nextEvent('said')).toEqual({ delivered: 3, missing: [] })
    for (const client of clients.filter((_, i) => i !== 2)) expect(await client.nextText()).toBe('not for bun')
    // From a plain HTTP route of any instance.
    expect((await api(instances[3]!, `/api/rooms/${r}`, { method: 'POST', body: 'via http' })).body).toEqual({ delivered: 4, missing: [] })
    for (const client of clients) expect(await client.nextText()).toBe('via http')
    await nothingMore(clients)
  })

  it('delivers to ids on other instances, naming the missing ones', async () => {
    const clients = await members()
    const [a, b, c, d] = clients as [Member, Member, Member, Member]
    a.emit('sendTo', { ids: [b.id, c.id, d.id, c.id, 'nobody'], text: 'direct' })
    expect(await a.nextEvent('sent')).toEqual({ delivered: 3, missing: ['nobody'] })
    for (const client of [b, c, d]) expect(await client.nextText()).toBe('direct')
    const { body } = await api(instances[2]!, '/api/send', { method: 'POST', body: JSON.stringify({ ids: [a.id], text: 'from bun over http' }) })
    expect(body).toEqual({ delivered: 1, missing: [] })
    expect(await a.nextText()).toBe('from bun over http')
    await nothingMore(clients)
  })

  it('broadcasts to every connection of every instance, except the sender', async () => {
    const clients = await members()
    clients[3]!.emit('broadcast', 'to all but deno')
    expect(await clients[3]!.nextEvent('said')).toEqual({ delivered: 3, missing: [] })
    for (const client of clients.slice(0, 3)) expect(await client.nextText()).toBe('to all but deno')
    expect((await api(instances[1]!, '/api/broadcast', { method: 'POST', body: 'everyone' })).body).toEqual({ delivered: 4, missing: [] })
    for (const client of clients) expect(await client.nextText()).toBe('everyone')
    await nothingMore(clients)
  })

  it('answers list, get, rooms and members the same on every instance', async () => {
    const r = room()
    const clients = await members()
    for (const client of clients) await join(client, r)
    const expected = clients.map((c) => ({ id: c.id, instanceId: c.at.instanceId })).sort((x, y) => x.id.localeCompare(y.id))
    for (const at of instances) {
      const list = (await api<{ id: string; instanceId: string; rooms: string[]; data: { name: string } }[]>(at, '/api/connections')).body
      expect(list.map(({ id, instanceId }) => ({ id, instanceId })).sort((x, y) => x.id.localeCompare(y.id)), at.label).toEqual(expected)
      expect((await api<string[]>(at, '/api/rooms')).body).toContain(r)
      const inRoom = (await api<{ id: string }[]>(at, `/api/rooms/${r}`)).body
      expect(inRoom.map((m) => m.id).sort(), at.label).toEqual(clients.map((c) => c.id).sort())
      for (const client of clients) {
        const { status, body } = await api(at, `/api/connections/${client.id}`)
        expect(status).toBe(200)
        expect(body).toMatchObject({ id: client.id, instanceId: client.at.instanceId, rooms: [r], data: { name: `m${clients.indexOf(client)}` } })
      }
    }
    expect(new Set(instances.map((i) => i.instanceId)).size).toBe(4)
  })

  it('updates data and disconnects a socket held by another instance', async () => {
    const clients = await members()
    const [a, , , d] = clients as [Member, Member, Member, Member]
    expect((await api(instances[0]!, `/api/connections/${d.id}/data`, { method: 'PUT', body: JSON.stringify({ name: 'renamed' }) })).status).toBe(204)
    expect((await api(instances[2]!, `/api/connections/${d.id}`)).body).toMatchObject({ data: { name: 'renamed' } })
    // The owning instance's socket has the new data too.
    await waitFor(async () => (d.emit('whoami'), (await d.nextEvent('me')).data.name === 'renamed'), 5000, 'the data on the owning instance')
    expect((await api(instances[0]!, '/api/connections/nobody/data', { method: 'PUT', body: '{}' })).status).toBe(404)
    // An admin on Bun closes a socket held by Deno.
    expect((await api(instances[2]!, `/api/connections/${d.id}?code=4001&reason=kicked`, { method: 'DELETE' })).status).toBe(204)
    expect(await d.waitClosed()).toEqual({ code: 4001, reason: 'kicked' })
    await waitFor(async () => (await api(instances[1]!, `/api/connections/${d.id}`)).status === 404, 5000, 'the closed socket to leave the registry')
    expect((await api(instances[2]!, `/api/connections/${d.id}`, { method: 'DELETE' })).status).toBe(404)
    expect((await api(instances[2]!, `/api/connections/${a.id}?code=1005`, { method: 'DELETE' })).status).toBe(400)
  })

  it('announces presence to members on every instance', async () => {
    const r = room()
    const clients = await members('/ws/presence')
    for (const client of clients) await join(client, r)
    for (const [i, client] of clients.entries()) {
      const joins = []
      for (let k = 0; k < clients.length - 1 - i; k++) joins.push(await client.nextEvent('presence'))
      expect(joins.map((p) => p.member.id).sort(), client.at.label).toEqual(clients.slice(i + 1).map((c) => c.id).sort())
      expect(joins.every((p) => p.action === 'join' && p.room === r)).toBe(true)
    }
    clients[1]!.close()
    for (const client of [clients[0]!, clients[2]!, clients[3]!]) {
      expect(await client.nextEvent('presence')).toEqual({ room: r, action: 'leave', member: { id: clients[1]!.id, data: { name: 'm1', tag: null } } })
    }
    await nothingMore([clients[0]!, clients[2]!, clients[3]!])
  })

  it('after kill -9 of an instance its connections leave every answer within the lease, with presence leaves', async () => {
    const r = room()
    const clients = await members('/ws/presence')
    for (const client of clients) await join(client, r)
    for (const [i, client] of clients.entries()) for (let k = 0; k < clients.length - 1 - i; k++) await client.nextEvent('presence')
    const victim = instances[3]!
    const gone = clients[3]!
    process.kill(-victim.process.pid!, 'SIGKILL')
    const killed = Date.now()
    await gone.waitClosed()
    const survivors = instances.slice(0, 3)
    await waitFor(
      async () => {
        for (const at of survivors) {
          const list = (await api<{ id: string }[]>(at, '/api/connections')).body
          const inRoom = (await api<{ id: string }[]>(at, `/api/rooms/${r}`)).body
          if (list.some((c) => c.id === gone.id) || inRoom.some((c) => c.id === gone.id)) return false
          if ((await api(at, `/api/connections/${gone.id}`)).status !== 404) return false
        }
        return true
      },
      LEASE_TTL + 2000,
      'the killed instance to leave every answer',
    )
    expect(Date.now() - killed).toBeLessThanOrEqual(LEASE_TTL + 1500)
    const { body } = await api(instances[0]!, '/api/send', { method: 'POST', body: JSON.stringify({ ids: [gone.id], text: 'x' }) })
    expect(body).toEqual({ delivered: 0, missing: [gone.id] })
    for (const client of clients.slice(0, 3)) {
      expect(await client.nextEvent('presence', LEASE_TTL + 3000)).toEqual({ room: r, action: 'leave', member: { id: gone.id, data: { name: 'm3', tag: null } } })
    }
    clients[0]!.emit('say', { room: r, text: 'still here' })
    expect(await clients[0]!.nextEvent('said')).toEqual({ delivered: 3, missing: [] })
    instances = survivors
    await victim.stop()
  })
})
