import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SocketHooks } from '../../src/connection/hooks.ts'
import type { SocketOptions } from '../../src/http/options.ts'
import { GRID } from '../../src/runtime/sweep.ts'
import { make as makeSocket } from './support.ts'

function make(options: SocketOptions = {}, hooks?: SocketHooks) {
  const made = makeSocket(options, hooks)
  const { socket, runtime } = made
  const wire = { ...made, ponged: () => runtime.ponged(socket) }
  return { ...made, wire, registry: runtime.sockets }
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('ServerSocket', () => {
  it('queues sends made before the upgrade completes and flushes them in order on open', () => {
    const { socket, transport, open , wire } = make()
    expect(socket.readyState).toBe(0)
    socket.send('a')
    socket.send(new Uint8Array([1]).buffer)
    expect(socket.bufferedAmount).toBe(2)
    open()
    expect(transport.sent).toEqual(['a', new Uint8Array([1])])
    expect(socket.readyState).toBe(1)
  })

  it('a close requested while connecting is carried out on open, with no open hook', () => {
    const opened = vi.fn()
    const { socket, transport, open , wire } = make({}, { open: opened })
    socket.close(4000, 'early')
    open()
    expect(transport.closes).toEqual([[4000, 'early']])
    expect(opened).not.toHaveBeenCalled()
  })

  it('send after close returns false and never throws', () => {
    const { socket, transport, open , wire } = make()
    open()
    wire.detached(1000, '')
    expect(socket.send('late')).toBe(false)
    expect(transport.sent).toEqual([])
  })

  it('rejects close codes and reasons a close frame cannot carry', () => {
    const { socket, open , wire } = make()
    open()
    expect(() => socket.close(1006)).toThrow(RangeError)
    expect(() => socket.close(1000, 'x'.repeat(124))).toThrow('close reason is longer than 123 bytes')
  })

  it('runs hooks, counts messages, and reports the close once', () => {
    const closes: unknown[] = []
    const { socket, transport, registry, open , wire } = make({}, {
      message: (s, m) => void s.send(m.text().toUpperCase()),
      close: (_s, info) => void closes.push(info),
    })
    open()
    expect(registry.has(socket)).toBe(true)
    wire.received('hi')
    expect(transport.sent).toEqual(['HI'])
    wire.detached(1000, 'bye')
    wire.detached(1006, 'again')
    expect(closes).toEqual([{ code: 1000, reason: 'bye', duration: expect.any(Number), messagesIn: 1, messagesOut: 1, messagesDropped: 0 }])
    expect(registry.has(socket)).toBe(false)
    expect([socket.messagesIn, socket.messagesOut]).toEqual([1, 1])
  })

  it('a throwing or rejecting handler closes with 1011 and reaches the error hook', async () => {
    const errors: unknown[] = []
    const { socket, transport, open , wire } = make({}, {
      message: (_s, m) => {
        if (m.text() === 'sync') throw new Error('boom')
        return Promise.reject(new Error('later'))
      },
      error: (_s, e) => void errors.push((e as Error).message),
    })
    open()
    wire.received('sync')
    expect(transport.closes).toEqual([[1011, 'internal error']])
    const second = make({}, { message: () => Promise.reject(new Error('later')), error: (_s, e) => void errors.push((e as Error).message) })
    second.open()
    second.wire.received('x')
    await new Promise((r) => setTimeout(r, 0))
    expect(second.transport.closes).toEqual([[1011, 'internal error']])
    expect(errors).toEqual(['boom', 'later'])
  })

  it('an escaped MessageFormatError closes with 1007 and its message', () => {
    const { socket, transport, open , wire } = make({}, { message: (_s, m) => m.json(), error: () => {} })
    open()
    wire.received('{')
    expect(transport.closes[0]![0]).toBe(1007)
    expect(transport.closes[0]![1]).toMatch(/^message is not valid JSON/)
  })

  it('drops oversized messages with 1009 before any handler sees them', () => {
    const seen = vi.fn()
    const { socket, transport, open , wire } = make({ maxMessageSize: 4 }, { message: seen })
    open()
    wire.received('1234')
    wire.received(new Uint8Array(5))
    expect(seen).toHaveBeenCalledTimes(1)
    expect(transport.closes).toEqual([[1009, 'message too big']])
  })

  it('closes with 1008 over the rate limit', () => {
    const seen = vi.fn()
    const { socket, transport, open , wire } = make({ rateLimit: { burst: 2, perSecond: 0.001 } }, { message: seen })
    open()
    for (let i = 0; i < 4; i++) wire.received('m')
    expect(seen).toHaveBeenCalledTimes(2)
    expect(transport.closes).toEqual([[1008, 'rate limit exceeded']])
  })

  it('closes a slow consumer with 1013 when the send buffer passes the cap', () => {
    const { socket, transport, open , wire } = make({ maxBufferedAmount: 10 })
    open()
    socket.send('ok')
    transport.bufferedAmount = 11
    socket.send('more')
    expect(transport.closes).toEqual([[1013, 'slow consumer: send buffer full']])
    expect(socket.send('after')).toBe(false)
  })

  it('reads the send buffer only when the writes since the last read could pass the cap, and still closes a consumer that falls behind', () => {
    const { socket, transport, open } = make({ maxBufferedAmount: 1000 })
    let reads = 0
    let queued = 0 // what the peer has not taken: a consumer that keeps up has nothing queued
    Object.defineProperty(transport, 'bufferedAmount', { get: () => (reads++, queued) })
    open()
    for (let i = 0; i < 1000; i++) socket.send('0123456789')
    // A keeping-up consumer: each 10-character text counts as at most 30 bytes plus a 14-byte header.
    expect(reads).toBeLessThanOrEqual(Math.ceil((1000 * 44) / 1000))
    expect(transport.closes).toEqual([])
    // Now it stops reading: each send stays queued, and the cap is found once it is passed.
    reads = 0
    let sends = 0
    transport.send = (data: string | Uint8Array) => {
      queued += typeof data === 'string' ? data.length : data.byteLength
    }
    while (socket.readyState === 1 && sends < 1000) {
      socket.send('0123456789')
      sends++
    }
    expect(transport.closes).toEqual([[1013, 'slow consumer: send buffer full']])
    expect(queued).toBeGreaterThan(1000)
    expect(queued).toBeLessThanOrEqual(1000 + 44) // found within one bound's step past the cap
    expect(reads).toBeLessThan(sends)
  })

  it('pings every interval and drops a peer silent for a whole interval', () => {
    vi.useFakeTimers()
    const closes: unknown[] = []
    const { socket, transport, open , wire } = make({ heartbeat: { interval: 1000 } }, { close: (_s, i) => void closes.push(i) })
    open()
    vi.advanceTimersByTime(1000)
    expect(transport.pings).toBe(1)
    wire.ponged()
    vi.advanceTimersByTime(1000)
    expect(transport.pings).toBe(2)
    expect(transport.terminated).toBe(0)
    vi.advanceTimersByTime(1000)
    expect(transport.terminated).toBe(1)
    expect(closes).toMatchObject([{ code: 1006, reason: 'heartbeat timeout' }])
  })

  it('spreads the heartbeats of sockets opened together over the interval, one ping each per interval', () => {
    vi.useFakeTimers()
    const made = Array.from({ length: 64 }, () => makeSocket({ heartbeat: { interval: 3200 } }))
    const runtime = made[0]!.runtime
    for (const m of made) runtime.open(m.socket, m.transport)
    const transports = made.map((m) => m.transport)
    const sockets = made.map((m) => m.socket)
    const pinged = () => transports.reduce((n, t) => n + t.pings, 0)
    // Step through two intervals one grid step at a time, counting the pings of each step.
    const perStep: number[] = []
    for (let t = 0; t < 6400; t += GRID) {
      const before = pinged()
      vi.advanceTimersByTime(GRID)
      perStep.push(pinged() - before)
      transports.forEach((transport, i) => transport.pings && runtime.ponged(sockets[i]!))
    }
    // 64 sockets in 32 slots: two per slot, never all at once; each pinged once per interval.
    expect(Math.max(...perStep)).toBe(2)
    expect(perStep.filter((n) => n > 0).length).toBe(64)
    expect(transports.map((t) => t.pings)).toEqual(transports.map(() => 2))
  })

  it('leaves liveness to transports that check it themselves', () => {
    vi.useFakeTimers()
    const { transport, open } = make({ heartbeat: { interval: 1000 } })
    transport.checksLiveness = true
    open()
    vi.advanceTimersByTime(5000)
    expect([transport.pings, transport.terminated]).toEqual([0, 0])
  })

  it('closes with 1001 after idleTimeout without messages', () => {
    vi.useFakeTimers()
    const { socket, transport, open , wire } = make({ idleTimeout: 1000, heartbeat: false })
    open()
    vi.advanceTimersByTime(800)
    wire.received('keep')
    vi.advanceTimersByTime(800)
    expect(transport.closes).toEqual([])
    vi.advanceTimersByTime(300)
    expect(transport.closes).toEqual([[1001, 'idle timeout']])
  })

  it('drops a connection whose close handshake does not finish within closeTimeout', () => {
    vi.useFakeTimers()
    const { socket, transport, open , wire } = make({ closeTimeout: 500 })
    open()
    socket.close(1000)
    vi.advanceTimersByTime(499)
    expect(socket.readyState).toBe(2)
    vi.advanceTimersByTime(GRID) // the sweep's ticks fall on a 25 ms grid
    expect(transport.terminated).toBe(1)
    expect(socket.readyState).toBe(3)
  })

  it('iterates messages with for await until close', async () => {
    const { socket, open , wire } = make()
    const seen: string[] = []
    const done = (async () => {
      for await (const m of socket) seen.push(m.text())
    })()
    open()
    wire.received('a')
    wire.received('b')
    wire.detached(1000, '')
    await done
    expect(seen).toEqual(['a', 'b'])
  })

  it('delivers WHATWG-shaped events to listeners, binary as ArrayBuffer or Blob', async () => {
    const { socket, open , wire } = make()
    const events: unknown[] = []
    socket.addEventListener('message', (e) => void events.push(e.data))
    socket.addEventListener('close', (e) => void events.push([e.code, e.reason, e.wasClean]))
    open()
    wire.received(new Uint8Array([1, 2]))
    socket.binaryType = 'blob'
    wire.received(new Uint8Array([3]))
    wire.detached(4000, 'done')
    expect(events[0]).toBeInstanceOf(ArrayBuffer)
    expect(events[1]).toBeInstanceOf(Blob)
    expect(new Uint8Array(await (events[1] as Blob).arrayBuffer())).toEqual(new Uint8Array([3]))
    expect(events[2]).toEqual([4000, 'done', true])
  })

  it('drained() waits until the buffer empties', async () => {
    const { socket, transport, open , wire } = make()
    open()
    transport.bufferedAmount = 100
    let done = false
    const waiting = socket.drained().then(() => (done = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(done).toBe(false)
    transport.bufferedAmount = 0
    await waiting
    expect(done).toBe(true)
  })
})

describe('close reported synchronously by the transport', () => {
  it('leaves no close timer behind', () => {
    vi.useFakeTimers()
    const { socket, transport, open , wire } = make()
    transport.close = (code, reason) => wire.detached(code, reason)
    open()
    socket.close(1000, 'bye')
    expect(socket.readyState).toBe(3)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('message order', () => {
  it('hands one connection its messages one at a time, even when the hook is async', async () => {
    const log: string[] = []
    const { socket, open , wire } = make({}, {
      async message(_s, m) {
        log.push(`start ${m.text()}`)
        await new Promise((r) => setTimeout(r, m.text() === 'slow' ? 30 : 1))
        log.push(`end ${m.text()}`)
      },
    })
    open()
    wire.received('slow')
    wire.received('fast')
    // Until both have ended (not a fixed wait: a loaded machine may run the timers late).
    for (const deadline = Date.now() + 5000; log.length < 4 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5))
    expect(log).toEqual(['start slow', 'end slow', 'start fast', 'end fast'])
  })

  it('drops the backlog once a hook has crashed the connection', async () => {
    const seen: string[] = []
    const { socket, open , wire } = make({}, {
      async message(_s, m) {
        seen.push(m.text())
        throw new Error('boom')
      },
      error() {},
    })
    open()
    wire.received('a')
    wire.received('b')
    await new Promise((r) => setTimeout(r, 20))
    expect(seen).toEqual(['a'])
  })
})
