import { describe, expect, it } from 'vitest'
import { connect, type TestClient } from '../support/client.ts'
import { baseUrl, sleep, wsUrl } from '../support/env.ts'
import { newTag, waitForLog } from '../support/fixture-log.ts'

/** A client on a room route, with its connection id. */
async function member(path = '/ws/rooms', query = ''): Promise<TestClient & { id: string }> {
  const client = await connect(wsUrl(`${path}?${query}`))
  client.emit('whoami')
  const me = await client.nextEvent<{ id: string }>('me')
  return Object.assign(client, { id: me.id })
}

async function joined(client: TestClient, room: string): Promise<string[]> {
  client.emit('join', room)
  return client.nextEvent<string[]>('joined')
}

const api = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}`, init)
const room = () => `room-${newTag()}`

describe('rooms', () => {
  it('two members receive what a third sends to the room, the sender included', async () => {
    const r = room()
    const [a, b, c] = await Promise.all([member(), member(), member()])
    for (const client of [a, b, c]) await joined(client, r)
    c.emit('say', { room: r, text: 'hello room' })
    expect(await c.nextEvent('said')).toEqual({ delivered: 3, missing: [] })
    for (const client of [a, b, c]) expect(await client.nextText()).toBe('hello room')
    for (const client of [a, b, c]) client.close()
  })

  it('socket.to(room) leaves out the sender', async () => {
    const r = room()
    const [a, b] = await Promise.all([member(), member()])
    await joined(a, r)
    await joined(b, r)
    a.emit('others', { room: r, text: 'not for me' })
    expect(await a.nextEvent('said')).toEqual({ delivered: 1, missing: [] })
    expect(await b.nextText()).toBe('not for me')
    await sleep(200)
    expect(a.pending).toBe(0)
    a.close()
    b.close()
  })

  it('leaving stops delivery, and an empty room disappears', async () => {
    const r = room()
    const [a, b] = await Promise.all([member(), member()])
    await joined(a, r)
    await joined(b, r)
    expect(await (await api('/api/rooms')).json()).toContain(r)
    b.emit('leave', r)
    expect(await b.nextEvent('left')).toEqual([])
    a.emit('say', { room: r, text: 'only a' })
    expect(await a.nextEvent('said')).toEqual({ delivered: 1, missing: [] })
    a.emit('leave', r)
    await a.nextEvent('left')
    expect(await (await api('/api/rooms')).json()).not.toContain(r)
    expect(await (await api(`/api/rooms/${r}`)).json()).toEqual([])
    a.close()
    b.close()
  })

  it('closing leaves every room', async () => {
    const [r1, r2] = [room(), room()]
    const [a, b] = await Promise.all([member(), member()])
    await joined(a, r1)
    expect(await joined(a, r2)).toEqual([r1, r2])
    await joined(b, r1)
    a.close()
    await a.waitClosed()
    await expect.poll(async () => (await (await api(`/api/rooms/${r1}`)).json()).map((m: { id: string }) => m.id)).toEqual([b.id])
    expect(await (await api('/api/rooms')).json()).not.toContain(r2)
    b.close()
  })

  it('a member who joined twice gets each message once', async () => {
    const r = room()
    const a = await member()
    await joined(a, r)
    expect(await joined(a, r)).toEqual([r])
    a.emit('say', { room: r, text: 'once' })
    expect(await a.nextEvent('said')).toEqual({ delivered: 1, missing: [] })
    expect(await a.nextText()).toBe('once')
    await sleep(200)
    expect(a.pending).toBe(0)
    a.close()
  })

  it('refuses bad room names and too many rooms with a clear error', async () => {
    const a = await member()
    a.emit('join', '')
    expect(await a.nextEvent('failed')).toEqual({ name: 'RoomError', message: 'a room name must be a non-empty string' })
    a.emit('join', 'x'.repeat(129))
    expect(await a.nextEvent('failed')).toEqual({ name: 'RoomError', message: 'a room name must be at most 128 characters' })
    for (const r of ['r1', 'r2', 'r3'].map((n) => `${n}-${newTag()}`)) await joined(a, r)
    a.emit('join', room())
    expect(await a.nextEvent('failed')).toEqual({ name: 'RoomError', message: 'a socket may be in at most 3 rooms' })
    expect(a.isOpen).toBe(true)
    a.close()
  })
})

describe('delivery', () => {
  it('sends to a room from a plain HTTP route and says how many were reached', async () => {
    const r = room()
    const [a, b] = await Promise.all([member(), member()])
    await joined(a, r)
    await joined(b, r)
    const res = await api(`/api/rooms/${r}`, { method: 'POST', body: 'from http' })
    expect(await res.json()).toEqual({ delivered: 2, missing: [] })
    expect(await a.nextText()).toBe('from http')
    expect(await b.nextText()).toBe('from http')
    expect(await (await api(`/api/rooms/nobody-${newTag()}`, { method: 'POST', body: 'x' })).json()).toEqual({ delivered: 0, missing: [] })
    a.close()
    b.close()
  })

  it('sends to one id and to a list of ids, naming the ids not connected', async () => {
    const [a, b, c] = await Promise.all([member(), member(), member()])
    const res = await api('/api/send', { method: 'POST', body: JSON.stringify({ ids: [a.id, 'no-such-id', b.id, a.id], text: 'direct' }) })
    expect(await res.json()).toEqual({ delivered: 2, missing: ['no-such-id'] })
    expect(await a.nextText()).toBe('direct')
    expect(await b.nextText()).toBe('direct')
    c.emit('sendTo', { ids: c.id, text: 'to myself' })
    expect(await c.nextText()).toBe('to myself')
    expect(await c.nextEvent('sent')).toEqual({ delivered: 1, missing: [] })
    await sleep(200)
    expect(a.pending + b.pending).toBe(0)
    for (const client of [a, b, c]) client.close()
  })

  it('broadcasts to every connection, from a socket (others) and from HTTP (all)', async () => {
    const [a, b] = await Promise.all([member(), member()])
    const res = await api('/api/broadcast', { method: 'POST', body: 'to all' })
    const { delivered } = (await res.json()) as { delivered: number }
    expect(delivered).toBeGreaterThanOrEqual(2)
    expect(await a.nextText()).toBe('to all')
    expect(await b.nextText()).toBe('to all')
    a.emit('broadcast', 'from a')
    expect(await b.nextMatching((m) => m.data === 'from a')).toBeTruthy()
    await a.nextEvent('said')
    a.close()
    b.close()
  })

  it('a closed member does not stop delivery to the rest', async () => {
    const r = room()
    const [a, b, c] = await Promise.all([member(), member(), member()])
    for (const client of [a, b, c]) await joined(client, r)
    b.ws.terminate() // gone without a close frame: the server may still list it for a moment
    const res = await api(`/api/rooms/${r}`, { method: 'POST', body: 'still delivered' })
    expect(((await res.json()) as { delivered: number }).delivered).toBeGreaterThanOrEqual(2)
    expect(await a.nextText()).toBe('still delivered')
    expect(await c.nextText()).toBe('still delivered')
    a.close()
    c.close()
  })
})

describe('registry', () => {
  it('lists a connection with its metadata, rooms and connect time, and updates its data', async () => {
    const r = room()
    const started = Date.now()
    const a = await member('/ws/rooms', 'name=ada')
    await joined(a, r)
    const info = await (await api(`/api/connections/${a.id}`)).json()
    expect(info).toMatchObject({ id: a.id, rooms: [r], data: { name: 'ada', tag: null } })
    expect(info.connectedAt).toBeGreaterThan(started - 60_000)
    expect(typeof info.instanceId).toBe('string')
    const put = await api(`/api/connections/${a.id}/data`, { method: 'PUT', body: JSON.stringify({ name: 'ada', role: 'admin' }) })
    expect(put.status).toBe(204)
    a.emit('whoami')
    expect((await a.nextEvent('me')).data).toEqual({ name: 'ada', role: 'admin' })
    expect((await api('/api/connections/no-such-id')).status).toBe(404)
    expect((await api('/api/connections/no-such-id/data', { method: 'PUT', body: '{}' })).status).toBe(404)
    a.close()
  })

  it('disconnects a connection by id with a code and reason (admin)', async () => {
    const a = await member()
    const res = await api(`/api/connections/${a.id}?code=4001&reason=kicked%20by%20admin`, { method: 'DELETE' })
    expect(res.status).toBe(204)
    expect(await a.waitClosed()).toEqual({ code: 4001, reason: 'kicked by admin' })
    // The client may see the close a moment before the server has finished it.
    await expect.poll(async () => (await api(`/api/connections/${a.id}`)).status).toBe(404)
    expect((await api(`/api/connections/${a.id}`, { method: 'DELETE' })).status).toBe(404)
  })

  it('refuses an admin close code that cannot be sent', async () => {
    const a = await member()
    const res = await api(`/api/connections/${a.id}?code=1006`, { method: 'DELETE' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: 'close code 1006 cannot be sent' })
    expect(a.isOpen).toBe(true)
    a.close()
  })

  it('the after-close hook gets the duration and the message counts', async () => {
    const tag = newTag()
    const a = await member('/ws/rooms', `tag=${tag}`) // whoami: one in, one out
    a.emit('whoami')
    await a.nextEvent('me')
    a.close(1000, 'done')
    const closed = await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    expect(closed).toMatchObject({ code: 1000, reason: 'done', messagesIn: 2, messagesOut: 2 })
    expect(closed.duration).toBeGreaterThanOrEqual(0)
  })
})

describe('presence', () => {
  it('tells room members who joins and leaves, and lists who is here with their data', async () => {
    const r = room()
    const a = await member('/ws/presence', 'name=ann')
    await joined(a, r)
    const b = await member('/ws/presence', 'name=bob')
    await joined(b, r)
    expect(await a.nextEvent('presence')).toEqual({ room: r, action: 'join', member: { id: b.id, data: { name: 'bob', tag: null } } })
    a.emit('members', r)
    const here = (await a.nextEvent<{ id: string; data: unknown }[]>('members')).map((m) => [m.id, m.data])
    expect(here.sort()).toEqual([[a.id, { name: 'ann', tag: null }], [b.id, { name: 'bob', tag: null }]].sort())
    b.close()
    expect(await a.nextEvent('presence')).toEqual({ room: r, action: 'leave', member: { id: b.id, data: { name: 'bob', tag: null } } })
    a.close()
  })

  it('does not announce on routes without presence', async () => {
    const r = room()
    const a = await member()
    await joined(a, r)
    const b = await member()
    await joined(b, r)
    b.close()
    await sleep(300)
    expect(a.pending).toBe(0)
    a.close()
  })
})

describe('events', () => {
  it('an unknown event type reaches the error hook and the socket stays open', async () => {
    const tag = newTag()
    const a = await member('/ws/rooms', `tag=${tag}`)
    a.emit('no-such-event', 1)
    const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
    expect(error).toMatchObject({ name: 'UnknownEventError', message: 'no handler for event type "no-such-event"' })
    a.emit('whoami')
    expect((await a.nextEvent('me')).id).toBe(a.id)
    a.close()
  })

  it('a message that is not an envelope closes with 1007', async () => {
    const a = await member()
    a.send('plain text')
    expect(await a.waitClosed()).toEqual({ code: 1007, reason: 'expected a JSON envelope {"type": string, "data": any}' })
  })
})
