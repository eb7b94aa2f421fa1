import { describe, expect, it } from 'vitest'
import { Connection } from '../../src/connection/connection.ts'
import { connectionOf, type ServerSocket } from '../../src/connection/socket.ts'
import type { Payload } from '../../src/connection/payload.ts'
import { LocalSockets } from '../../src/delivery/local-sockets.ts'
import { MemoryHub } from '../../src/delivery/memory-hub.ts'
import { resolveOptions } from '../../src/http/options.ts'
import { FakeRuntime, FakeTransport } from './support.ts'
import type { Transport } from '../../src/runtime/transport.ts'

const options = resolveOptions({})
const socket = (id?: string) => new Connection({ id, url: 'ws://x/', protocol: '', data: {}, options, hooks: undefined })

class NullTransport implements Transport {
  bufferedAmount = 0
  extensions = ''
  checksLiveness = true
  send() {}
  close() {}
  terminate() {}
}

/** A transport that also keeps which topics it is subscribed to. */
class TopicTransport extends FakeTransport {
  readonly topics = new Set<string>()
  subscribe(topic: string) {
    this.topics.add(topic)
  }
  unsubscribe(topic: string) {
    this.topics.delete(topic)
  }
}

/** A runtime with native publish that, like a Bun server's, reaches only its own sockets. */
class TopicRuntime extends FakeRuntime {
  override publish(topic: string, payload: Payload, except: ServerSocket<any> | undefined): boolean {
    for (const member of this.sockets) {
      const transport = connectionOf(member).transport as TopicTransport
      if (member !== except && transport.topics.has(topic)) transport.sent.push(payload)
    }
    return true
  }
}

describe('LocalSockets', () => {
  it('reads as a Set of sockets, in the order they were entered, and finds each by id', () => {
    const sockets = new LocalSockets()
    const a = socket()
    const b = socket()
    sockets.add(a)
    sockets.add(b)
    expect(sockets.size).toBe(2)
    expect(sockets.has(a)).toBe(true)
    expect(sockets.get(b.id)).toBe(b)
    expect(sockets.get('ghost')).toBeUndefined()
    expect([...sockets]).toEqual([a, b])
    expect([...sockets.values()]).toEqual([a, b])
    expect([...sockets.keys()]).toEqual([a, b])
    expect([...sockets.entries()]).toEqual([
      [a, a],
      [b, b],
    ])
    const seen: ServerSocket<any>[] = []
    sockets.forEach(function (this: unknown, value, key, set) {
      expect(key).toBe(value)
      expect(set).toBe(sockets)
      expect(this).toBe('ctx')
      seen.push(value)
    }, 'ctx')
    expect(seen).toEqual([a, b])
    expect(Object.prototype.toString.call(sockets)).toBe('[object LocalSockets]')
  })

  it('tells sockets apart by identity: another socket with the same id is not a member and removes nothing', () => {
    const sockets = new LocalSockets()
    const a = socket('same')
    const impostor = socket('same')
    sockets.add(a)
    expect(sockets.has(impostor)).toBe(false)
    // Whatever a Set would be asked: only a member is in it.
    for (const stranger of [undefined, null, {}, { id: undefined }, 'same']) expect(sockets.has(stranger as never)).toBe(false)
    expect(sockets.delete(impostor)).toBe(false)
    expect(sockets.get('same')).toBe(a)
    expect(sockets.delete(a)).toBe(true)
    expect(sockets.delete(a)).toBe(false)
    expect(sockets.size).toBe(0)
  })

  it('lets a walk delete the socket it is visiting, as the sweep does when a check closes one', () => {
    const sockets = new LocalSockets()
    const all = [socket(), socket(), socket(), socket()]
    for (const s of all) sockets.add(s)
    const visited: ServerSocket<any>[] = []
    for (const s of sockets) {
      visited.push(s)
      if (s === all[1] || s === all[2]) sockets.delete(s)
    }
    expect(visited).toEqual(all)
    expect([...sockets]).toEqual([all[0], all[3]])
  })
})

describe('one registry per runtime', () => {
  it("a runtime's hub finds its sockets in the runtime's registry, from open to close", async () => {
    // A hub given its own fan-out still takes the runtime's registry when bound.
    const hub = new MemoryHub({})
    const runtime = new FakeRuntime(hub)
    const a = socket()
    runtime.open(a, new NullTransport())
    expect(runtime.sockets.get(a.id)).toBe(a)
    expect((await hub.connection(a.id))?.id).toBe(a.id)
    expect((await hub.connections()).map((c) => c.id)).toEqual([a.id])
    runtime.detached(a, 1000, '')
    expect(runtime.sockets.size).toBe(0)
    expect(await hub.connection(a.id)).toBeUndefined()
    expect(await hub.connections()).toEqual([])
  })

  it('one hub shared by two servers knows the sockets of both, as before registries were shared', async () => {
    const hub = new MemoryHub()
    const first = new FakeRuntime(hub)
    const a = socket()
    first.open(a, new NullTransport())
    // The second server is made after the first has a socket open.
    const second = new FakeRuntime(hub)
    const b = socket()
    second.open(b, new NullTransport())
    expect((await hub.connections()).map((c) => c.id).sort()).toEqual([a.id, b.id].sort())
    expect(await hub.send({ ids: [a.id, b.id] }, 'x')).toEqual({ delivered: 2, missing: [] })
    second.detached(b, 1000, '')
    expect((await hub.connections()).map((c) => c.id)).toEqual([a.id])
    first.detached(a, 1000, '')
    expect(await hub.connections()).toEqual([])
    // Each server still lists only its own sockets.
    expect(first.sockets.size + second.sockets.size).toBe(0)
  })

  it('one hub shared by two servers with native publish reaches the room members of both', async () => {
    // Each server's publish reaches only its own sockets (as Bun's topics do), so a hub
    // serving two runtimes cannot use one runtime's publish for both.
    const hub = new MemoryHub()
    const first = new TopicRuntime(hub)
    const a = socket()
    const aIn = new TopicTransport()
    first.open(a, aIn)
    await a.join('r')
    const second = new TopicRuntime(hub)
    const b = socket()
    const bIn = new TopicTransport()
    second.open(b, bIn)
    await b.join('r')
    expect(await hub.send({ room: 'r' }, 'x')).toEqual({ delivered: 2, missing: [] })
    expect(await hub.send({ all: true }, 'y')).toEqual({ delivered: 2, missing: [] })
    expect(aIn.sent).toEqual(['x', 'y'])
    expect(bIn.sent).toEqual(['x', 'y'])
  })

  it('a hub used alone keeps a registry of its own', async () => {
    const hub = new MemoryHub()
    const a = socket()
    hub.attach(a)
    expect((await hub.connection(a.id))?.id).toBe(a.id)
    hub.detach(a)
    expect(await hub.connection(a.id)).toBeUndefined()
  })
})
