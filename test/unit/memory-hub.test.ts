import { describe, expect, it } from 'vitest'
import { ALL_TOPIC, MemoryHub, type FanOut } from '../../src/delivery/memory-hub.ts'
import { resolveOptions, type SocketOptions } from '../../src/http/options.ts'
import { Runtime } from '../../src/runtime/runtime.ts'
import { Connection } from '../../src/connection/connection.ts'
import type { Transport } from '../../src/runtime/transport.ts'

class FakeTransport implements Transport {
  sent: unknown[] = []
  topics = new Set<string>()
  bufferedAmount = 0
  extensions = ''
  checksLiveness = true
  failing = false
  onSend?: () => void
  send(data: string | Uint8Array) {
    this.onSend?.()
    if (this.failing) throw new Error('socket broke')
    this.sent.push(data)
  }
  sendPrepared(prepared: unknown) {
    this.sent.push(prepared)
  }
  close(_code?: number, _reason?: string) {}
  terminate() {}
  subscribe(topic: string) {
    this.topics.add(topic)
  }
  unsubscribe(topic: string) {
    this.topics.delete(topic)
  }
}

class FakeRuntime extends Runtime {
  readonly name = 'fake'
  protected accept() {
    return undefined
  }
}

function setup(fanOut?: FanOut, options: SocketOptions = {}) {
  const hub = new MemoryHub(fanOut)
  const runtime = new FakeRuntime(hub)
  const open = (name: string) => {
    const socket = new Connection({ url: 'ws://x/', protocol: '', data: { name }, options: resolveOptions(options), hooks: undefined })
    const transport = new FakeTransport()
    runtime.open(socket, transport)
    return { socket, transport }
  }
  return { hub, open, runtime }
}

describe('MemoryHub', () => {
  it('join and leave report bad input as a rejection, never a throw, and act before they return', async () => {
    const { hub, open } = setup()
    const a = open('a')
    let joined: Promise<void> | undefined
    expect(() => (joined = a.socket.join(''))).not.toThrow()
    await expect(joined).rejects.toThrow('room name')
    await expect(hub.join(a.socket, 'x'.repeat(200))).rejects.toThrow('room name')
    await expect(a.socket.leave('')).rejects.toThrow('room name')
    const pending = a.socket.join('r')
    expect([...a.socket.rooms]).toEqual(['r']) // the join is done; the promise only reports it
    await pending
    const closed = new Connection({ url: 'ws://x/', protocol: '', data: {}, options: resolveOptions({}), hooks: undefined })
    await expect(closed.join('r')).rejects.toThrow('not open yet')
    await expect(hub.join(closed, 'r')).rejects.toThrow('needs an open socket')
  })

  it('delivers to each member once, however often it joined or was named', async () => {
    const { hub, open, runtime } = setup()
    const a = open('a')
    await a.socket.join('r')
    await a.socket.join('r')
    expect(await hub.send({ room: 'r' }, 'x')).toEqual({ delivered: 1, missing: [] })
    expect(await hub.send({ ids: [a.socket.id, a.socket.id, 'ghost'] }, 'y')).toEqual({ delivered: 1, missing: ['ghost'] })
    expect(a.transport.sent).toEqual(['x', 'y'])
  })

  it('a member that throws or closes mid-broadcast does not stop delivery to the others', async () => {
    const { hub, open, runtime } = setup()
    const [a, b, c] = ['a', 'b', 'c'].map(open) as [ReturnType<typeof open>, ReturnType<typeof open>, ReturnType<typeof open>]
    for (const m of [a, b, c]) await m.socket.join('r')
    a.transport.failing = true
    b.transport.onSend = () => runtime.detached(c.socket, 1006, '') // c goes away while b is being served
    const result = await hub.send({ room: 'r' }, 'x')
    expect(result.delivered).toBe(1)
    expect(b.transport.sent).toEqual(['x'])
    expect(await hub.members('r')).toHaveLength(2)
  })

  it('removes empty rooms and a closed socket from every room', async () => {
    const { hub, open, runtime } = setup()
    const a = open('a')
    await a.socket.join('r1')
    await a.socket.join('r2')
    expect(await hub.rooms()).toEqual(['r1', 'r2'])
    await a.socket.leave('r1')
    expect(await hub.rooms()).toEqual(['r2'])
    runtime.detached(a.socket, 1000, '')
    expect(await hub.rooms()).toEqual([])
    expect(await hub.connection(a.socket.id)).toBeUndefined()
    expect(a.transport.topics.has('r2')).toBe(false)
    // In several rooms when it closes (the core then keeps a set, not a single name).
    const b = open('b')
    const c = open('c')
    for (const room of ['r1', 'r2', 'r3']) await b.socket.join(room)
    await c.socket.join('r2')
    runtime.detached(b.socket, 1000, '')
    expect(await hub.rooms()).toEqual(['r2'])
    expect((await hub.connection(c.socket.id))?.rooms).toEqual(['r2'])
    expect([...b.transport.topics]).toEqual([])
  })

  it('uses native publish when it can, and loops when the excluded sender has closed', async () => {
    const published: [string, unknown, string | undefined][] = []
    const fanOut: FanOut = {
      publish(topic, payload, except) {
        published.push([topic, payload, except?.id])
        return true
      },
    }
    const { hub, open, runtime } = setup(fanOut)
    const a = open('a')
    const b = open('b')
    await a.socket.join('r')
    await b.socket.join('r')
    expect(await hub.send({ room: 'r', except: a.socket.id }, 'x')).toEqual({ delivered: 1, missing: [] })
    expect(published).toEqual([['r', 'x', a.socket.id]])
    expect([a.socket.messagesOut, b.socket.messagesOut]).toEqual([0, 1])
  })

  it('subscribes sockets to the broadcast topic from the first broadcast on, and later ones as they open', async () => {
    const published: string[] = []
    const { hub, open } = setup({
      publish(topic) {
        published.push(topic)
        return true
      },
    })
    const a = open('a')
    expect([...a.transport.topics]).toEqual([])
    expect(await hub.send({ all: true }, 'x')).toEqual({ delivered: 1, missing: [] })
    expect([...a.transport.topics]).toEqual([ALL_TOPIC])
    const b = open('b')
    expect([...b.transport.topics]).toEqual([ALL_TOPIC])
    expect(await hub.send({ all: true }, 'y')).toEqual({ delivered: 2, missing: [] })
    expect(published).toEqual([ALL_TOPIC, ALL_TOPIC])
  })

  it('encodes a payload once for a whole fan-out when the runtime can', async () => {
    let prepared = 0
    const { hub, open, runtime } = setup({ prepare: (payload) => ({ frame: payload, n: ++prepared }) })
    const a = open('a')
    const b = open('b')
    expect(await hub.send({ all: true }, 'x')).toEqual({ delivered: 2, missing: [] })
    expect(prepared).toBe(1)
    expect(a.transport.sent).toEqual([{ frame: 'x', n: 1 }])
    expect(b.transport.sent).toEqual([{ frame: 'x', n: 1 }])
  })

  it('announces joins and leaves to the other members when presence is on', async () => {
    const { open, runtime } = setup(undefined, { presence: true })
    const a = open('a')
    const b = open('b')
    await a.socket.join('r')
    await b.socket.join('r')
    runtime.detached(b.socket, 1000, '')
    const events = a.transport.sent.map((m) => JSON.parse(m as string))
    expect(events).toEqual([
      { type: 'presence', data: { room: 'r', action: 'join', member: { id: b.socket.id, data: { name: 'b' } } } },
      { type: 'presence', data: { room: 'r', action: 'leave', member: { id: b.socket.id, data: { name: 'b' } } } },
    ])
    expect(b.transport.sent).toEqual([])
  })

  it('updates data and disconnects by id, and says false for unknown ids', async () => {
    const { hub, open, runtime } = setup()
    const a = open('a')
    expect(await hub.update(a.socket.id, { name: 'z' })).toBe(true)
    expect(a.socket.data).toEqual({ name: 'z' })
    expect(await hub.update('ghost', {})).toBe(false)
    expect(await hub.disconnect('ghost')).toBe(false)
    await expect(hub.disconnect(a.socket.id, 1005)).rejects.toThrow('close code 1005 cannot be sent')
  })
})

describe('native publish and the slow-consumer cap', () => {
  it('closes a member whose buffer a native publish pushed past maxBufferedAmount', async () => {
    // 'buffering': the runtime saw a recipient with bytes it could not write yet.
    const fanOut: FanOut = { publish: () => 'buffering' }
    const { hub, open, runtime } = setup(fanOut, { maxBufferedAmount: 10 })
    const a = open('a')
    const closes: number[] = []
    a.transport.close = (code: number) => {
      closes.push(code)
    }
    await a.socket.join('r')
    a.transport.bufferedAmount = 11
    await hub.send({ room: 'r' }, 'x')
    expect(closes).toEqual([1013])
  })

  it('reads no send buffer when the publish saw no recipient buffering, and still counts each delivery', async () => {
    const fanOut: FanOut = { publish: () => true }
    const { hub, open } = setup(fanOut, { maxBufferedAmount: 10 })
    const a = open('a')
    const b = open('b')
    let reads = 0
    for (const t of [a.transport, b.transport]) {
      Object.defineProperty(t, 'bufferedAmount', { get: () => (reads++, 0) })
    }
    await a.socket.join('r')
    await b.socket.join('r')
    expect(await hub.send({ room: 'r' }, 'x')).toEqual({ delivered: 2, missing: [] })
    expect(reads).toBe(0)
    expect([a.socket.messagesOut, b.socket.messagesOut]).toEqual([1, 1])
  })

  it('counts native room publishes per room, and each member\'s messagesOut stays exact through joins, leaves, the left-out sender and a close', async () => {
    const fanOut: FanOut = { publish: () => true }
    const { hub, open } = setup(fanOut)
    const a = open('a')
    const b = open('b')
    const c = open('c')
    const summaries: number[] = []
    for (const { socket } of [a, b, c]) socket.closed.then(() => summaries.push(socket.messagesOut))
    await a.socket.join('r')
    await b.socket.join('r')
    await hub.send({ room: 'r' }, 'one') // a, b
    await c.socket.join('r') // joins after "one": not counted for c
    expect(await hub.send({ room: 'r', except: a.socket.id }, 'two')).toEqual({ delivered: 2, missing: [] }) // b, c
    a.socket.send('direct') // counted on a itself
    expect([a.socket.messagesOut, b.socket.messagesOut, c.socket.messagesOut]).toEqual([2, 2, 1])

    await b.socket.leave('r') // b's count catches up as it leaves
    await hub.send({ room: 'r' }, 'three') // a, c
    expect([a.socket.messagesOut, b.socket.messagesOut, c.socket.messagesOut]).toEqual([3, 2, 2])

    // A member that is closing is no longer reached, nor counted, while still in the room.
    c.socket.close(1000)
    expect(c.socket.readyState).toBe(2)
    expect(await hub.send({ room: 'r' }, 'four')).toEqual({ delivered: 1, missing: [] }) // a only
    expect([a.socket.messagesOut, c.socket.messagesOut]).toEqual([4, 2])

    // A second room counts on its own.
    await a.socket.join('s')
    await b.socket.join('s')
    await hub.send({ room: 's' }, 'five')
    expect([a.socket.messagesOut, b.socket.messagesOut]).toEqual([5, 3])

    const core = (s: typeof a.socket) => s as unknown as { detached(code: number, reason: string): void }
    for (const { socket } of [a, b, c]) core(socket).detached(1000, '')
    await Promise.resolve()
    expect(summaries.sort()).toEqual([2, 3, 5])
    expect(await hub.rooms()).toEqual([])
  })
})

describe('sendRun: the messages of a relayed batch', () => {
  /** A runtime that encodes several payloads as one unit (as Node does), recording each unit. */
  function batching(options: SocketOptions = {}) {
    const units: string[][] = []
    const fanOut: FanOut = {
      prepare: (payload) => ({ one: payload }),
      prepareMany: (payloads) => {
        units.push(payloads.map(String))
        return { many: [...payloads] }
      },
    }
    return { ...setup(fanOut, options), units }
  }
  /** What a member received, each message on its own, in order. */
  const messages = (t: FakeTransport) =>
    t.sent.flatMap((m) => {
      const unit = m as { one?: unknown; many?: unknown[] }
      return typeof m === 'string' ? [m] : unit.many ? unit.many : [unit.one]
    })
  const part = (payload: string, except: string[] = []) => ({ payload, except })

  it('encodes each run of messages that leave nobody out once, one send per member, keeping order and counts', async () => {
    const { hub, open, units } = batching()
    const [a, b, c] = ['a', 'b', 'c'].map(open) as [ReturnType<typeof open>, ReturnType<typeof open>, ReturnType<typeof open>]
    for (const m of [a, b]) await m.socket.join('r')
    const parts = [part('1'), part('2'), part('3', [a.socket.id]), part('4'), part('5'), part('6'), part('7', [b.socket.id])]
    expect(hub.sendRun({ room: 'r' }, parts)).toBe(12)
    expect(units).toEqual([['1', '2'], ['4', '5', '6']])
    // One send per unit, one per message that left someone out.
    expect(a.transport.sent).toHaveLength(3)
    expect(b.transport.sent).toHaveLength(3)
    expect(messages(a.transport)).toEqual(['1', '2', '4', '5', '6', '7'])
    expect(messages(b.transport)).toEqual(['1', '2', '3', '4', '5', '6'])
    expect(messages(c.transport)).toEqual([])
    expect([a.socket.messagesOut, b.socket.messagesOut, c.socket.messagesOut]).toEqual([6, 6, 0])
    // To everyone: c too; a closing member is neither sent to nor counted.
    b.socket.close(1000)
    expect(hub.sendRun({ all: true }, [part('x'), part('y')])).toBe(4)
    expect(messages(c.transport)).toEqual(['x', 'y'])
    expect([a.socket.messagesOut, b.socket.messagesOut, c.socket.messagesOut]).toEqual([8, 6, 2])
    expect(hub.sendRun({ room: 'nobody' }, [part('z'), part('z')])).toBe(0)
  })

  it('sends one by one where a unit could pass the slow-consumer cap, closing with 1013 after the same message as alone', async () => {
    // Each message's bound is 1 * 3 + 14 = 17 bytes: a unit of three (51) could pass 40.
    const { hub, open, units } = batching({ maxBufferedAmount: 40 })
    const a = open('a')
    const closes: number[] = []
    a.transport.close = (code: number) => void closes.push(code)
    await a.socket.join('r')
    let reads = 0
    Object.defineProperty(a.transport, 'bufferedAmount', { get: () => (reads++, 15 * a.transport.sent.length) })
    hub.sendRun({ room: 'r' }, [part('1'), part('2'), part('3'), part('4')])
    // One by one, each sent alone: the third write finds 45 bytes buffered, over 40, and closes.
    expect(units).toHaveLength(1)
    expect(a.transport.sent).toEqual(['1', '2', '3'])
    expect(closes).toEqual([1013])
    expect(a.socket.messagesOut).toBe(3)
    expect(reads).toBeGreaterThan(0)
  })

  it('reads no send buffer while a unit cannot pass the cap', async () => {
    const { hub, open } = batching({ maxBufferedAmount: 1000 })
    const a = open('a')
    await a.socket.join('r')
    let reads = 0
    Object.defineProperty(a.transport, 'bufferedAmount', { get: () => (reads++, 0) })
    hub.sendRun({ room: 'r' }, [part('1'), part('2'), part('3')])
    expect(messages(a.transport)).toEqual(['1', '2', '3'])
    expect(a.transport.sent).toHaveLength(1)
    expect(reads).toBe(0)
  })

  it('delivers message by message where the runtime has native publish or cannot encode several at once', async () => {
    const published: string[] = []
    const native = setup({ publish: (_topic, payload, except) => (published.push(`${payload} except ${except?.id}`), true), prepareMany: () => expect.unreachable() })
    const n = native.open('n')
    await n.socket.join('r')
    expect(native.hub.sendRun({ room: 'r' }, [part('1'), part('2', [n.socket.id]), part('3')])).toBe(2)
    expect(published).toEqual(['1 except undefined', `2 except ${n.socket.id}`, '3 except undefined'])
    expect(n.socket.messagesOut).toBe(2)

    const plain = setup()
    const p = plain.open('p')
    await p.socket.join('r')
    expect(plain.hub.sendRun({ room: 'r' }, [part('1'), part('2')])).toBe(2)
    expect(p.transport.sent).toEqual(['1', '2'])
  })
})
