import { afterEach, describe, expect, it, vi } from 'vitest'
import type { CloseSummary } from '../../src/connection/events.ts'
import { InboundQueue } from '../../src/connection/inbound-queue.ts'
import { ReadyState, rules, transition } from '../../src/connection/lifecycle.ts'
import { GRID, Sweep, type Clock } from '../../src/runtime/sweep.ts'
import { sweepOf } from '../../src/runtime/sweep.ts'
import { FakeTransport, gate, make, PausingTransport, tick } from './support.ts'

afterEach(() => {
  vi.useRealTimers()
})

describe('lifecycle rules', () => {
  it('moves CONNECTING → OPEN → CLOSING → CLOSED and refuses the rest', () => {
    expect(transition(ReadyState.CONNECTING, 'open')).toBe(ReadyState.OPEN)
    expect(transition(ReadyState.OPEN, 'open')).toBeUndefined()
    expect(transition(ReadyState.CONNECTING, 'close')).toBe(ReadyState.CLOSING)
    expect(transition(ReadyState.OPEN, 'close')).toBe(ReadyState.CLOSING)
    expect(transition(ReadyState.CLOSING, 'close')).toBeUndefined()
    expect(transition(ReadyState.CLOSING, 'end')).toBe(ReadyState.CLOSED)
    expect(transition(ReadyState.CLOSED, 'end')).toBeUndefined()
  })

  it('lets application code run for messages only while OPEN', () => {
    expect([0, 1, 2, 3].map((s) => rules(s as ReadyState).dispatch)).toEqual([false, true, false, false])
    expect([0, 1, 2, 3].map((s) => rules(s as ReadyState).send)).toEqual(['hold', 'write', 'refuse', 'refuse'])
  })
})

describe('ordering', () => {
  it('messages wait until an async open hook settles', async () => {
    const log: string[] = []
    const opening = gate()
    const { open, received } = make({}, {
      async open() {
        log.push('open start')
        await opening.promise
        log.push('open end')
      },
      message: (_s, m) => void log.push(`message ${m.text()}`),
    })
    open()
    received('hi')
    await tick()
    expect(log).toEqual(['open start'])
    opening.open()
    await tick()
    expect(log).toEqual(['open start', 'open end', 'message hi'])
  })

  it('an open hook that rejects closes 1011 and no message hook runs', async () => {
    const seen = vi.fn()
    const errors: unknown[] = []
    const { socket, transport, open, received, detached } = make({}, {
      open: () => Promise.reject(new Error('no')),
      message: seen,
      error: (_s, e) => void errors.push(e),
    })
    open()
    received('a')
    received('b')
    await tick()
    expect(transport.closes).toEqual([[1011, 'internal error']])
    expect(seen).not.toHaveBeenCalled()
    detached(1011, 'internal error')
    expect(socket.messagesDropped).toBe(2)
    expect(errors).toHaveLength(1)
  })

  it('no message hook or listener runs once the close hook started; queued ones are counted as dropped', async () => {
    const log: string[] = []
    const slow = gate()
    let summary: CloseSummary | undefined
    const { socket, open, received, detached } = make({}, {
      async message(_s, m) {
        log.push(`msg ${m.text()}`)
        if (m.text() === 'a') await slow.promise
      },
      close(_s, info) {
        log.push('close hook')
        summary = info
      },
    })
    socket.addEventListener('message', (e) => void log.push(`listener ${e.data}`))
    open()
    received('a')
    received('b')
    received('c')
    detached(1000, 'bye')
    received('d')
    // The close hook waits for the running hook; b and c never run.
    expect(log).toEqual(['listener a', 'msg a'])
    slow.open()
    await tick()
    expect(log).toEqual(['listener a', 'msg a', 'close hook'])
    expect(summary).toMatchObject({ code: 1000, messagesIn: 3, messagesDropped: 2 })
  })

  it('a close listener added by a hook still running when the connection ended gets the close event', async () => {
    const slow = gate()
    const closes: unknown[] = []
    const { socket, open, received, detached } = make({}, {
      async message(s) {
        await slow.promise
        s.addEventListener('close', (e) => void closes.push([e.code, e.reason, e.wasClean]))
      },
    })
    open()
    received('a')
    detached(1006, '')
    expect(socket.readyState).toBe(3)
    slow.open()
    await tick()
    expect(closes).toEqual([[1006, '', false]])
  })

  it('a close started by the server drops what is queued', async () => {
    const seen: string[] = []
    const slow = gate()
    const { socket, open, received } = make({}, {
      async message(s, m) {
        seen.push(m.text())
        s.close(4000, 'enough')
        await slow.promise
      },
    })
    open()
    received('a')
    received('b')
    slow.open()
    await tick()
    expect(seen).toEqual(['a'])
    expect(socket.messagesDropped).toBe(1)
  })
})

describe('inbound queue', () => {
  it('counts messages and bytes, pauses at the limit and resumes at half', () => {
    const queue = new InboundQueue({ maxMessages: 4, maxBytes: 1000 })
    expect(queue.admit(10, true)).toBe('ok')
    expect(queue.admit(10, true)).toBe('ok')
    expect(queue.admit(10, true)).toBe('ok')
    expect(queue.admit(10, true)).toBe('pause')
    expect(queue.admit(10, true)).toBe('ok') // slack for what was read before the pause
    expect(queue.release(10)).toBe(false)
    expect(queue.release(10)).toBe(false)
    expect(queue.release(10)).toBe(true)
    expect(queue.paused).toBe(false)
  })

  it('overflows where reads cannot pause, and past twice the limit', () => {
    const noPause = new InboundQueue({ maxMessages: 2, maxBytes: 1000 })
    expect(noPause.admit(1, false)).toBe('ok')
    expect(noPause.admit(1, false)).toBe('ok')
    expect(noPause.admit(1, false)).toBe('overflow')
    const bytes = new InboundQueue({ maxMessages: 100, maxBytes: 10 })
    expect(bytes.admit(10, true)).toBe('pause')
    expect(bytes.admit(9, true)).toBe('ok')
    expect(bytes.admit(1, true)).toBe('ok') // 20 bytes held: twice the limit
    expect(bytes.admit(1, true)).toBe('overflow')
    const tiny = new InboundQueue({ maxMessages: 2, maxBytes: 10 })
    expect(tiny.admit(0, true)).toBe('ok')
    expect(tiny.admit(0, true)).toBe('pause')
    for (let i = 0; i < 100; i++) expect(tiny.admit(0, true)).toBe('ok') // what the paused runtime had read
  })

  it('a flood behind a slow hook closes 1008 where the transport cannot pause', async () => {
    const slow = gate()
    const { socket, transport, open, received } = make({ inboundQueue: { maxMessages: 3 } }, { message: () => slow.promise })
    open()
    for (let i = 0; i < 10; i++) received(`m${i}`)
    expect(transport.closes).toEqual([[1008, 'inbound queue full']])
    expect(socket.readyState).toBe(ReadyState.CLOSING)
  })

  it('pauses a transport that can, and resumes it once the hooks catch up; nothing is lost', async () => {
    const seen: string[] = []
    let release = gate()
    const transport = new PausingTransport()
    const { open, received } = make({ inboundQueue: { maxMessages: 4 } }, {
      async message(_s, m) {
        seen.push(m.text())
        await release.promise
      },
    }, transport)
    open()
    for (let i = 0; i < 6; i++) received(`m${i}`)
    expect(transport.pauses).toBe(1)
    expect(transport.closes).toEqual([])
    for (let i = 0; i < 6; i++) {
      const current = release
      release = gate()
      current.open()
      await tick()
    }
    expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5'])
    expect(transport.resumes).toBe(1)
  })

  it('bounds what a for-await consumer has not pulled yet', async () => {
    const { socket, transport, open, received } = make({ inboundQueue: { maxMessages: 2 } })
    const iterator = socket[Symbol.asyncIterator]()
    open()
    received('a')
    received('b')
    expect(transport.closes).toEqual([])
    expect((await iterator.next()).value.text()).toBe('a')
    received('c')
    received('d')
    expect(transport.closes).toEqual([[1008, 'inbound queue full']])
  })
})

describe('the sweep', () => {
  it('runs every socket of a runtime from one timer, started with the first and stopped with the last', () => {
    vi.useFakeTimers()
    const a = make({ heartbeat: { interval: 1000 } })
    const runtime = a.runtime
    const b = make({ heartbeat: { interval: 1000 } })
    a.open()
    expect(vi.getTimerCount()).toBe(1)
    runtime.open(b.socket, b.transport)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    expect([a.transport.pings, b.transport.pings]).toEqual([1, 1])
    runtime.detached(a.socket, 1000, '')
    expect(vi.getTimerCount()).toBe(1)
    runtime.detached(b.socket, 1000, '')
    expect(vi.getTimerCount()).toBe(0)
    expect(runtime[sweepOf].size).toBe(0)
  })

  it("looks at a watched set's members in place, and stops looking at one whose check threw", () => {
    const wakes: (() => void)[] = []
    const clock: Clock = { set: (_at, wake) => void wakes.push(wake), clear: () => void wakes.push(() => {}) }
    const watched = new Set<{ sweep(now: number): number }>()
    const sweep = new Sweep(clock, watched)
    const seen: string[] = []
    const good = { sweep: () => (seen.push('good'), 2000) }
    const bad = {
      sweep: () => {
        seen.push('bad')
        throw new Error('transport broke')
      },
    }
    const other = { sweep: () => (seen.push('other'), 2000) }
    watched.add(good).add(bad)
    sweep.add(good, 1000)
    sweep.add(bad, 1000)
    sweep.add(other, 1000) // not in the watched set: kept by the sweep itself
    expect(sweep.size).toBe(3)
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    sweep.tick(1000)
    sweep.tick(2000)
    error.mockRestore()
    expect(seen).toEqual(['good', 'bad', 'other', 'good', 'other'])
    watched.delete(good)
    sweep.delete(good)
    sweep.delete(other)
    expect(sweep.size).toBe(1) // bad is still in the owner's set: the owner removes it
  })

  it('a check that closes its own socket mid-tick leaves the set, and the sockets after it are still looked at', () => {
    vi.useFakeTimers()
    // An interval under 32 ms has one slot: every socket beats in the same tick.
    const options = { heartbeat: { interval: 20 } }
    const first = make(options)
    const runtime = first.runtime
    const rest = [make(options), make(options), make(options)]
    first.open()
    for (const m of rest) runtime.open(m.socket, m.transport)
    // Silent peers: one tick pings them all, a later one drops them all, one after the other.
    vi.advanceTimersByTime(200)
    expect([first, ...rest].map((m) => [m.transport.pings > 0, m.transport.terminated])).toEqual([
      [true, 1],
      [true, 1],
      [true, 1],
      [true, 1],
    ])
    expect(runtime.sockets.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('wakes at the earliest deadline, rounded up to its grid', () => {
    const sets: number[] = []
    const clock: Clock = { set: (at) => void sets.push(at), clear: () => void sets.push(-1) }
    const sweep = new Sweep(clock)
    const member = { sweep: () => Infinity }
    sweep.add(member, 1001)
    sweep.schedule(5000) // later: no new wake-up
    sweep.schedule(980)
    expect(sets).toEqual([1025, 1000])
    expect(sets.every((at) => at === -1 || at % GRID === 0)).toBe(true)
    sweep.delete(member)
    expect(sets.at(-1)).toBe(-1)
  })

  it('app heartbeat: each tick sends portsocket:ping, and the pong keeps the peer alive without reaching hooks', () => {
    vi.useFakeTimers()
    const seen = vi.fn()
    const { transport, open, received } = make({ heartbeat: { interval: 1000, app: true } }, { message: seen })
    transport.checksLiveness = true // as on Deno: the app heartbeat still runs
    open()
    vi.advanceTimersByTime(1000)
    expect(transport.json()).toEqual([{ type: 'portsocket:ping' }])
    received('{"type":"portsocket:pong"}')
    vi.advanceTimersByTime(1000)
    expect(transport.terminated).toBe(0)
    vi.advanceTimersByTime(1000)
    expect(transport.terminated).toBe(1)
    expect(seen).not.toHaveBeenCalled()
  })

  it('runs no heartbeat on a transport that hibernates', () => {
    vi.useFakeTimers()
    const transport = Object.assign(new FakeTransport(), { hibernates: true })
    const { open } = make({ heartbeat: { interval: 1000 } }, undefined, transport)
    open()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(5000)
    expect(transport.pings).toBe(0)
  })
})

describe('persistence hook', () => {
  it('the runtime is asked to persist after a data change, a join, and every message hook once it settled', async () => {
    const saved: string[] = []
    const slow = gate()
    const { socket, runtime, open, received } = make<{ v: number }>({}, {
      async message(s) {
        await slow.promise
        s.data = { v: 2 }
      },
    })
    runtime.persist = (s) => void saved.push(JSON.stringify(s.data))
    open()
    socket.data = { v: 1 }
    await socket.join('room')
    received('x')
    expect(saved).toEqual(['{"v":1}', '{"v":1}'])
    slow.open()
    await tick()
    expect(saved).toEqual(['{"v":1}', '{"v":1}', '{"v":2}', '{"v":2}'])
  })
})

describe('an upgrade the runtime refuses after accept', () => {
  it('settles the socket (closed 1006, for await ends) and answers 400', async () => {
    const { Hono } = await import('hono')
    const { upgrade } = await import('../../src/http/upgrade.ts')
    const { Runtime } = await import('../../src/runtime/runtime.ts')
    class Refusing extends Runtime {
      readonly name = 'refusing'
      protected accept(): Response {
        throw new TypeError('invalid Sec-WebSocket-Key')
      }
    }
    const app = new Hono()
    let settled: Promise<unknown> | undefined
    let iterated: Promise<string> | undefined
    app.get('/ws', (c) => {
      const { socket, response } = upgrade(c)
      settled = socket.closed
      iterated = (async () => {
        for await (const _ of socket) void _
        return 'ended'
      })()
      return response
    })
    const request = new Request('http://x/ws', { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } })
    const response = await new Refusing().fetch(app, request, undefined)
    expect(response?.status).toBe(400)
    expect(await settled).toEqual({ code: 1006, reason: 'upgrade failed' })
    expect(await iterated).toBe('ended')
  })
})
