/**
 * RedisHub against the real Redis at 127.0.0.1:6379: several hubs in one process, each
 * with sockets on a fake transport, for the registry, delivery counts and lease logic.
 * The cross-process cases (three runtimes, kill -9, a Redis restart) are instances.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { resolveOptions, type SocketOptions } from '../../src/http/options.ts'
import { Runtime } from '../../src/runtime/runtime.ts'
import { Connection } from '../../src/connection/connection.ts'
import type { Transport } from '../../src/runtime/transport.ts'
import { HubUnavailableError, RedisHub } from '../../src/redis/index.ts'
import { DeafeningProxy } from './proxy.ts'
import { PrivateRedis } from './redis-server.ts'
import { clientKinds, keysUnder, makeClient, removeKeys, uniquePrefix, type ClientKind } from './support.ts'

class FakeTransport implements Transport {
  sent: (string | Uint8Array)[] = []
  closedWith: [number, string] | undefined
  bufferedAmount = 0
  extensions = ''
  checksLiveness = true
  send(data: string | Uint8Array) {
    this.sent.push(data)
  }
  close(code: number, reason: string) {
    this.closedWith = [code, reason]
  }
  terminate() {}
}

class FakeRuntime extends Runtime {
  readonly name = 'fake'
  protected accept() {
    return undefined
  }
}

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

async function cluster(kind: ClientKind, count: number, lease = { leaseTtl: 15_000 }) {
  const prefix = uniquePrefix()
  cleanups.push(() => removeKeys(prefix))
  const instances = []
  for (let i = 0; i < count; i++) instances.push(await instance(kind, prefix, lease))
  return { prefix, instances }
}

async function instance(kind: ClientKind, prefix: string, lease: { leaseTtl: number; renewInterval?: number; commandTimeout?: number }, url?: string) {
  const client = makeClient(kind, url)
  const errors: unknown[] = []
  const hub = new RedisHub({ client, prefix, ...lease, onError: (e) => errors.push(e) })
  const runtime = new FakeRuntime(hub)
  cleanups.push(async () => {
    await hub.close()
    await client.end()
  })
  await hub.ready()
  const open = (name: string, options: SocketOptions = {}) => {
    const socket = new Connection({ url: `ws://x/${name}`, protocol: '', data: { name }, options: resolveOptions(options), hooks: undefined })
    const transport = new FakeTransport()
    runtime.open(socket, transport)
    return { socket, transport, id: socket.id, runtime }
  }
  return { hub, client, open, errors, runtime }
}

const texts = (t: FakeTransport) => t.sent.map((m) => (typeof m === 'string' ? m : `<${m.byteLength} bytes>`))
const eventually = async (check: () => unknown | Promise<unknown>, ms = 3000) => {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((r) => setTimeout(r, 25))
    }
  }
}

describe.each(clientKinds)('RedisHub with %s', (kind) => {
  it('delivers to a room across instances, each member once, with counts', async () => {
    const { instances: [a, b, c] } = await cluster(kind, 3)
    const [a1, a2, b1, c1] = [a!.open('a1'), a!.open('a2'), b!.open('b1'), c!.open('c1')]
    for (const s of [a1, a2, b1]) await s.socket.join('r')
    await a1.socket.join('r') // a second join is a no-op
    expect(await c!.hub.send({ room: 'r' }, 'hello')).toEqual({ delivered: 3, missing: [] })
    // Order holds per sender instance only: let c's message land before a sends.
    await eventually(() => expect(texts(b1.transport)).toEqual(['hello']))
    expect(await a!.hub.send({ room: 'r', except: a1.id }, 'others')).toEqual({ delivered: 2, missing: [] })
    await eventually(() => {
      expect(texts(a1.transport)).toEqual(['hello'])
      expect(texts(a2.transport)).toEqual(['hello', 'others'])
      expect(texts(b1.transport)).toEqual(['hello', 'others'])
    })
    expect(texts(c1.transport)).toEqual([])
    // Binary crosses unchanged.
    expect(await a!.hub.send({ room: 'r', except: [a1.id, a2.id] }, new Uint8Array([1, 2, 3]))).toEqual({ delivered: 1, missing: [] })
    await eventually(() => expect(b1.transport.sent.at(-1)).toEqual(new Uint8Array([1, 2, 3])))
  })

  it('sends the deliveries of one turn together, in order, each with its own count', async () => {
    const { instances: [a, b] } = await cluster(kind, 2)
    const [a1, b1, b2] = [a!.open('a1'), b!.open('b1'), b!.open('b2')]
    for (const s of [a1, b1, b2]) await s.socket.join('r')
    await b2.socket.join('q')
    await eventually(async () => expect(await a!.hub.connections()).toHaveLength(3))
    // Made back to back: rooms, ids and everyone interleaved, so batches and other calls alternate.
    const sends = [
      a!.hub.send({ room: 'r' }, 'm1'),
      a!.hub.send({ room: 'r', except: b1.id }, 'm2'),
      a!.hub.send({ room: 'q' }, 'q1'),
      a!.hub.send({ ids: b1.id }, 'direct'),
      a!.hub.send({ room: 'r' }, new Uint8Array([7])),
      a!.hub.send({ all: true, except: a1.id }, 'all'),
      a!.hub.send({ room: 'r', except: [b1.id, b2.id] }, 'nobody remote'),
      a!.hub.send({ room: 'r' }, 'm3 \n ünï 🎉'),
    ]
    expect(await Promise.all(sends)).toEqual([3, 2, 1, 1, 3, 2, 1, 3].map((delivered) => ({ delivered, missing: [] })))
    await eventually(() => {
      expect(texts(b1.transport)).toEqual(['m1', 'direct', '<1 bytes>', 'all', 'm3 \n ünï 🎉'])
      expect(texts(b2.transport)).toEqual(['m1', 'm2', 'q1', '<1 bytes>', 'all', 'm3 \n ünï 🎉'])
    })
    expect(texts(a1.transport)).toEqual(['m1', 'm2', '<1 bytes>', 'nobody remote', 'm3 \n ünï 🎉'])
    // A leave made right after a send reaches the others after it (its presence would follow it).
    void a!.hub.send({ room: 'r' }, 'before leave')
    await a1.socket.leave('r')
    expect(await b!.hub.members('r')).toHaveLength(2)
    await eventually(() => expect(texts(b1.transport).at(-1)).toBe('before leave'))
  })

  it('delivers to ids on their owning instance and to everyone, with missing ids', async () => {
    const { instances: [a, b] } = await cluster(kind, 2)
    const [a1, b1, b2] = [a!.open('a1'), b!.open('b1'), b!.open('b2')]
    // An open is registered one Redis round trip later.
    await eventually(async () => expect(await a!.hub.connections()).toHaveLength(3))
    expect(await a!.hub.send({ ids: [a1.id, b1.id, b2.id, b1.id, 'ghost'] }, 'direct')).toEqual({ delivered: 3, missing: ['ghost'] })
    await eventually(() => expect(texts(b2.transport)).toEqual(['direct']))
    expect(await a!.hub.send({ ids: b2.id }, new Uint8Array([9, 8]))).toEqual({ delivered: 1, missing: [] })
    await eventually(() => expect(b2.transport.sent).toEqual(['direct', new Uint8Array([9, 8])]))
    b2.transport.sent = ['direct']
    expect(await b!.hub.send({ all: true, except: [b2.id] }, 'all')).toEqual({ delivered: 2, missing: [] })
    await eventually(() => {
      expect(texts(a1.transport)).toEqual(['direct', 'all'])
      expect(texts(b1.transport)).toEqual(['direct', 'all'])
      expect(texts(b2.transport)).toEqual(['direct'])
    })
  })

  it('answers registry calls from any instance', async () => {
    const { instances: [a, b] } = await cluster(kind, 2)
    const [a1, b1] = [a!.open('a1'), b!.open('b1')]
    await a1.socket.join('x')
    await b1.socket.join('x')
    await b1.socket.join('y')
    const list = await a!.hub.connections()
    expect(list.map((i) => i.id).sort()).toEqual([a1.id, b1.id].sort())
    const remote = await a!.hub.connection(b1.id)
    expect(remote).toMatchObject({ id: b1.id, instanceId: b!.hub.instanceId, data: { name: 'b1' }, rooms: ['x', 'y'], url: 'ws://x/b1', protocol: '' })
    expect(remote!.connectedAt).toBe(b1.socket.connectedAt)
    expect((await b!.hub.rooms()).sort()).toEqual(['x', 'y'])
    expect((await a!.hub.rooms()).sort()).toEqual(['x', 'y'])
    expect((await a!.hub.members('x')).map((m) => m.id).sort()).toEqual([a1.id, b1.id].sort())
    expect(await a!.hub.update(b1.id, { name: 'renamed' })).toBe(true)
    expect(await a!.hub.connection(b1.id)).toMatchObject({ data: { name: 'renamed' } })
    await eventually(() => expect(b1.socket.data).toEqual({ name: 'renamed' }))
    expect(await a!.hub.update('ghost', {})).toBe(false)
    expect(await a!.hub.disconnect(b1.id, 4000, 'bye')).toBe(true)
    await eventually(() => expect(b1.transport.closedWith).toEqual([4000, 'bye']))
    await expect(a!.hub.disconnect(b1.id, 1005)).rejects.toThrow(RangeError)
    b1.runtime.detached(b1.socket, 4000, 'bye')
    await eventually(async () => expect(await a!.hub.connection(b1.id)).toBeUndefined())
    expect(await a!.hub.rooms()).toEqual(['x'])
    expect(await a!.hub.disconnect(b1.id)).toBe(false)
  })

  it('announces presence to members on other instances', async () => {
    const { instances: [a, b] } = await cluster(kind, 2)
    const [a1, b1] = [a!.open('a1', { presence: true }), b!.open('b1', { presence: true })]
    await a1.socket.join('p')
    await b1.socket.join('p')
    await eventually(() => expect(texts(a1.transport).map((m) => JSON.parse(m))).toEqual([
      { type: 'presence', data: { room: 'p', action: 'join', member: { id: b1.id, data: { name: 'b1' } } } },
    ]))
    b1.runtime.detached(b1.socket, 1000, '')
    await eventually(() => expect(JSON.parse(texts(a1.transport).at(-1)!)).toEqual(
      { type: 'presence', data: { room: 'p', action: 'leave', member: { id: b1.id, data: { name: 'b1' } } } },
    ))
    expect(texts(b1.transport)).toEqual([])
  })

  it('forgets a silent instance within its lease, reaps it and announces its leaves', async () => {
    const lease = { leaseTtl: 1500, renewInterval: 300 }
    const prefix = uniquePrefix()
    cleanups.push(() => removeKeys(prefix))
    const a = await instance(kind, prefix, lease)
    const b = await instance(kind, prefix, lease)
    const a1 = a.open('a1', { presence: true })
    const b1 = b.open('b1', { presence: true })
    await a1.socket.join('p')
    await b1.socket.join('p')
    expect((await a.hub.connections()).length).toBe(2)
    // b's command connection dies: it can renew nothing (its subscriber lives on).
    await b.client.end()
    const cut = Date.now()
    await eventually(async () => expect((await a.hub.connections()).map((c) => c.id)).toEqual([a1.id]), 4000)
    expect(Date.now() - cut).toBeLessThan(lease.leaseTtl + 1000)
    expect(await a.hub.send({ ids: b1.id }, 'x')).toEqual({ delivered: 0, missing: [b1.id] })
    await eventually(() => expect(texts(a1.transport).map((m) => JSON.parse(m).data.action)).toEqual(['join', 'leave']), 4000)
    expect(await a.hub.members('p')).toHaveLength(1)
    // The reaper removed b's keys.
    await eventually(async () => expect((await keysUnder(prefix)).filter((k) => k.includes(b.hub.instanceId))).toEqual([]))
  })

  it('re-registers by itself when its entries vanished (a Redis restart without persistence)', async () => {
    const { prefix, instances: [a, b] } = await cluster(kind, 2, { leaseTtl: 3000, renewInterval: 300 } as never)
    const b1 = b!.open('b1')
    await b1.socket.join('r')
    await removeKeys(prefix)
    expect(await a!.hub.connections()).toEqual([])
    await eventually(async () => expect((await a!.hub.members('r')).map((m) => m.id)).toEqual([b1.id]), 3000)
    expect(await a!.hub.send({ room: 'r' }, 'back')).toEqual({ delivered: 1, missing: [] })
    await eventually(() => expect(texts(b1.transport)).toEqual(['back']))
  })

  it('replaces a subscriber that stays connected but hears nothing, found by its own probe', async () => {
    const prefix = uniquePrefix()
    cleanups.push(() => removeKeys(prefix))
    const proxy = await DeafeningProxy.start({ host: '127.0.0.1', port: 6379 })
    cleanups.push(() => proxy.close())
    const lease = { leaseTtl: 3000, renewInterval: 300 }
    const a = await instance(kind, prefix, lease, proxy.url)
    const b = await instance(kind, prefix, lease)
    const a1 = a.open('a1')
    await a1.socket.join('r')
    expect(await b.hub.send({ room: 'r' }, 'one')).toEqual({ delivered: 1, missing: [] })
    await eventually(() => expect(texts(a1.transport)).toEqual(['one']))
    // One that hears its own probes is kept, renewal after renewal.
    await new Promise((r) => setTimeout(r, 1800))
    expect(a.errors.map(String).join('\n')).not.toContain('subscriber stopped receiving')
    expect(proxy.deafenSubscribers()).toBe(1)
    // Lost: at most once. Redis still counts the member, so the count says 1.
    expect(await b.hub.send({ room: 'r' }, 'lost')).toEqual({ delivered: 1, missing: [] })
    await eventually(() => expect(a.errors.map(String).join('\n')).toContain('subscriber stopped receiving'), 5000)
    await eventually(async () => {
      await b.hub.send({ room: 'r' }, 'again')
      expect(texts(a1.transport)).toContain('again')
    }, 5000)
    expect(texts(a1.transport)).not.toContain('lost')
  })

  it('shared by two servers in one process, keeps the rooms of the first when the second binds', async () => {
    const { instances: [a, b] } = await cluster(kind, 2)
    const a1 = a!.open('a1')
    await a1.socket.join('r')
    // A second server on the same hub, made after the first has a member in a room.
    const second = new FakeRuntime(a!.hub)
    const s1 = new Connection({ url: 'ws://x/s1', protocol: '', data: { name: 's1' }, options: resolveOptions({}), hooks: undefined })
    const s1In = new FakeTransport()
    second.open(s1, s1In)
    await s1.join('r')
    expect([...a1.socket.rooms]).toEqual(['r'])
    expect((await b!.hub.members('r')).map((m) => m.id).sort()).toEqual([a1.id, s1.id].sort())
    expect(await a!.hub.send({ room: 'r' }, 'here')).toEqual({ delivered: 2, missing: [] })
    expect(await b!.hub.send({ room: 'r' }, 'there')).toEqual({ delivered: 2, missing: [] })
    await eventually(() => {
      expect(texts(a1.transport)).toEqual(['here', 'there'])
      expect(texts(s1In)).toEqual(['here', 'there'])
    })
    second.detached(s1, 1000, '')
    a1.runtime.detached(a1.socket, 1000, '')
    await eventually(async () => expect(await b!.hub.rooms()).toEqual([]))
  })

  it('removes everything it wrote on close', async () => {
    const { prefix, instances: [a] } = await cluster(kind, 1)
    const a1 = a!.open('a1')
    await a1.socket.join('r')
    expect((await keysUnder(prefix)).length).toBeGreaterThan(0)
    a1.runtime.detached(a1.socket, 1000, '')
    await a!.hub.close()
    expect(await keysUnder(prefix)).toEqual([])
    await expect(a!.hub.connections()).rejects.toThrow(HubUnavailableError)
  })
})

describe('RedisHub while Redis is unreachable', () => {
  it('fails cross-instance calls fast with HubUnavailableError and still delivers locally', async () => {
    const prefix = uniquePrefix()
    const a = await instance('ioredis', prefix, { leaseTtl: 15_000 })
    const a1 = a.open('a1')
    await a1.socket.join('r')
    ;(a.client as unknown as { disconnect(): void }).disconnect()
    await eventually(() => expect(a.hub.available).toBe(false))
    const started = Date.now()
    const error = await a.hub.send({ room: 'r' }, 'local only').catch((e) => e)
    expect(error).toBeInstanceOf(HubUnavailableError)
    expect(error.delivered).toEqual({ delivered: 1, missing: [] })
    expect(texts(a1.transport)).toEqual(['local only'])
    await expect(a.hub.connections()).rejects.toThrow(HubUnavailableError)
    await expect(a.hub.send({ ids: 'elsewhere' }, 'x')).rejects.toThrow(HubUnavailableError)
    expect(Date.now() - started).toBeLessThan(500)
    // Local sockets keep joining and leaving.
    await a1.socket.join('s')
    expect([...a1.socket.rooms]).toEqual(['r', 's'])
    await removeKeys(prefix)
  })
})

/**
 * A real Node server on a RedisHub whose `/ws` sockets join room "r", and members that
 * record what they receive (binary as byte arrays).
 */
async function nodeServerOnHub(kind: ClientKind, prefix: string, url?: string) {
  const { Hono } = await import('hono')
  const { WebSocket } = await import('ws')
  const { serve } = await import('../../adapters/node.ts')
  const { websocket } = await import('../../src/index.ts')
  const client = makeClient(kind, url)
  const hub = new RedisHub({ client, prefix })
  const app = new Hono().get('/ws', websocket({ open: (socket) => socket.join('r') }))
  const server = await serve(app, { port: 0, hostname: '127.0.0.1', hub })
  cleanups.push(async () => {
    await server.close()
    await client.end()
  })
  const member = async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`)
    const got: (string | number[])[] = []
    ws.on('message', (data: Buffer, binary: boolean) => got.push(binary ? [...data] : data.toString()))
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    cleanups.push(async () => ws.close())
    return { ws, got }
  }
  return { server, member }
}

describe('RedisHub relaying a batch to a Node server', () => {
  it('hands each member the batch in order, framed once, with except, sends to ids and exact counts', async () => {
    const prefix = uniquePrefix()
    cleanups.push(() => removeKeys(prefix))
    const a = await instance('ioredis', prefix, { leaseTtl: 15_000 })
    const { server, member } = await nodeServerOnHub('ioredis', prefix)
    const members = await Promise.all([member(), member()])
    await eventually(async () => expect(await a.hub.members('r')).toHaveLength(2))
    const [m1, m2] = [...server.sockets]
    const ids = [m1!.id, m2!.id]
    // A send to ids alone first; the turn below has one in the middle of room sends.
    expect(await a.hub.send({ ids: ids[0]! }, 'first')).toEqual({ delivered: 1, missing: [] })
    // Every frame length form (7, 16 and 64 bits), binary, UTF-8 and a message that leaves
    // one member out, in one turn with a send to ids in the middle.
    const long = 'x'.repeat(300)
    const huge = 'ü'.repeat(40_000)
    const sends = [
      a.hub.send({ room: 'r' }, 'one'),
      a.hub.send({ room: 'r' }, long),
      a.hub.send({ room: 'r' }, 'three 🎉'),
      a.hub.send({ room: 'r', except: ids[0] }, 'not for m1'),
      a.hub.send({ room: 'r' }, huge),
      a.hub.send({ ids: ids[1]! }, 'direct'),
      a.hub.send({ room: 'r' }, new Uint8Array([1, 2, 3])),
      a.hub.send({ all: true }, 'all'),
      a.hub.send({ room: 'r' }, ''),
    ]
    expect((await Promise.all(sends)).map((d) => d.delivered)).toEqual([2, 2, 2, 1, 2, 1, 2, 2, 2])
    const m1Expected = ['first', 'one', long, 'three 🎉', huge, [1, 2, 3], 'all', '']
    const m2Expected = ['one', long, 'three 🎉', 'not for m1', huge, 'direct', [1, 2, 3], 'all', '']
    await eventually(() => {
      expect(members[0]!.got).toEqual(m1Expected)
      expect(members[1]!.got).toEqual(m2Expected)
    })
    expect([m1!.messagesOut, m2!.messagesOut]).toEqual([m1Expected.length, m2Expected.length])
  })
})

describe('RedisHub when Redis hangs', () => {
  it.each(clientKinds)('fails calls after commandTimeout while Redis answers nothing, then works again (%s)', async (kind) => {
    // A private redis-server: CLIENT PAUSE stops every client of the server it runs on.
    const redis = await PrivateRedis.start()
    cleanups.push(() => redis.kill())
    const prefix = uniquePrefix()
    const a = await instance(kind, prefix, { leaseTtl: 15_000, commandTimeout: 500 }, redis.url)
    const b = await instance(kind, prefix, { leaseTtl: 15_000, commandTimeout: 500 }, redis.url)
    const b1 = b.open('b1')
    await eventually(async () => expect(await a.hub.connections()).toHaveLength(1))
    const admin = makeClient('ioredis', redis.url) as unknown as { call(...args: string[]): Promise<unknown>; end(): Promise<void> }
    cleanups.push(() => admin.end())
    await admin.call('CLIENT', 'PAUSE', '2000', 'ALL')
    const started = Date.now()
    const error = await a.hub.send({ ids: b1.id }, 'x').catch((e) => e)
    expect(error).toBeInstanceOf(HubUnavailableError)
    expect(error.message).toContain('500 ms')
    expect(Date.now() - started).toBeLessThan(1500)
    await eventually(async () => expect(await a.hub.send({ ids: b1.id }, 'after')).toEqual({ delivered: 1, missing: [] }), 5000)
    await eventually(() => expect(texts(b1.transport)).toContain('after'))
  })
})

describe('script calls on a Redis that has not seen the scripts', () => {
  // A fresh redis-server has an empty script cache. After a room send (whose script is
  // then known) a send to ids and another room send in one turn: the ids script must not
  // be retried behind the later room send (EVALSHA, NOSCRIPT, then EVAL after it).
  it.each(clientKinds)('keeps one instance’s sends in order (%s)', async (kind) => {
    const redis = await PrivateRedis.start()
    cleanups.push(() => redis.kill())
    const prefix = uniquePrefix()
    const a = await instance(kind, prefix, { leaseTtl: 15_000 }, redis.url)
    const { server, member } = await nodeServerOnHub(kind, prefix, redis.url)
    const { got } = await member()
    await eventually(async () => expect(await a.hub.members('r')).toHaveLength(1))
    const id = [...server.sockets][0]!.id
    expect(await a.hub.send({ room: 'r' }, 'zero')).toEqual({ delivered: 1, missing: [] })
    const sends = [a.hub.send({ room: 'r' }, 'one'), a.hub.send({ ids: id }, 'direct'), a.hub.send({ room: 'r' }, 'two')]
    expect((await Promise.all(sends)).map((d) => d.delivered)).toEqual([1, 1, 1])
    await eventually(() => expect(got).toEqual(['zero', 'one', 'direct', 'two']))
  })
})
