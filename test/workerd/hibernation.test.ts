import { expect, it } from 'vitest'
import { connect } from '../support/client.ts'
import { baseUrl, sleep, wsUrl } from '../support/env.ts'
import { newTag } from '../support/fixture-log.ts'

// workerd evicts a Durable Object after 10 s without activity; hibernated WebSockets
// stay connected. This test gets an object of its own so no other test keeps it awake.
it('a room survives the Durable Object being evicted and woken by an HTTP request', async () => {
  const object = `hibernation-${newTag()}`
  const room = `room-${newTag()}`
  const q = `object=${object}`
  const api = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}${path.includes('?') ? '&' : '?'}${q}`, init)

  const clients = []
  for (const name of ['ann', 'bob']) {
    // One after the other: upgrades racing into a fresh object can keep it from hibernating.
    const client = await connect(wsUrl(`/ws/rooms?${q}&name=${name}`))
    client.emit('join', room)
    await client.nextEvent('joined')
    clients.push(client)
  }
  const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]]
  const before = ((await (await api('/api/instance')).json()) as { instanceId: string }).instanceId

  await sleep(15_000)

  // The request wakes the object; the room must already be whole when it is handled.
  const res = await api(`/api/rooms/${room}`, { method: 'POST', body: 'after the nap' })
  expect(await res.json()).toEqual({ delivered: 2, missing: [] })
  expect(await a.nextText()).toBe('after the nap')
  expect(await b.nextText()).toBe('after the nap')
  const after = ((await (await api('/api/instance')).json()) as { instanceId: string }).instanceId
  expect(after).not.toBe(before) // a new object instance: it really was evicted

  const members = (await (await api(`/api/rooms/${room}`)).json()) as { data: { name: string } }[]
  expect(members.map((m) => m.data.name).sort()).toEqual(['ann', 'bob'])
  a.emit('others', { room, text: 'still a room' })
  expect(await b.nextText()).toBe('still a room')
  expect(await a.nextEvent('said')).toEqual({ delivered: 1, missing: [] })
  a.close()
  b.close()
}, 40_000)

// Data written after an await in a handler, and data replaced through update(), are saved
// with the socket; an object whose sockets sit idle under default options still hibernates.
it('update() and data changed after an await survive eviction; idle sockets under default options let the object go', async () => {
  const object = `persist-${newTag()}`
  const q = `object=${object}`
  const api = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}${path.includes('?') ? '&' : '?'}${q}`, init)
  const instance = async () => ((await (await api('/api/instance')).json()) as { instanceId: string }).instanceId

  const a = await connect(wsUrl(`/ws/core/persist?${q}`))
  a.sendJson({ type: 'set', data: 'written after an await', ack: 1 })
  expect(await a.nextJson()).toEqual({ type: 'portsocket:ack', ack: 1, data: 'saved' })
  const b = await connect(wsUrl(`/ws/core/persist?${q}`))
  b.sendJson({ type: 'get', ack: 2 })
  const { id: bId } = ((await b.nextJson()) as { data: { id: string } }).data
  const res = await api(`/api/connections/${bId}/data`, { method: 'PUT', body: JSON.stringify({ value: 'set by update()' }) })
  expect(res.status).toBe(204)
  const before = await instance()

  await sleep(15_000)

  const after = await instance()
  expect(after).not.toBe(before) // evicted, though both sockets stayed open
  a.sendJson({ type: 'get', ack: 3 })
  expect(((await a.nextJson()) as { data: { data: unknown } }).data.data).toEqual({ value: 'written after an await' })
  b.sendJson({ type: 'get', ack: 4 })
  expect(((await b.nextJson()) as { data: { data: unknown } }).data.data).toEqual({ value: 'set by update()' })
  a.close()
  b.close()
}, 40_000)

// No timer may pin the object, so a hibernatable socket's idle timeout runs from its alarm.
it("a hibernatable socket's idle timeout fires from the Durable Object's alarm", async () => {
  const client = await connect(wsUrl(`/ws/core/persist-idle?object=idle-${newTag()}`))
  client.send('tick')
  expect(await client.nextText()).toBe('tick')
  expect(await client.waitClosed(8000)).toEqual({ code: 1001, reason: 'idle timeout' })
})
