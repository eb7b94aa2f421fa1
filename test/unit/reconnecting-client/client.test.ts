import { beforeEach, describe, expect, it } from 'vitest'
import { backoffDelay, connect, RequestError, type ClientOptions, type ClientState, type EventContract, type WebSocketConstructor } from '../../../src/client/index.ts'
import { resolveBackoff } from '../../../src/client/backoff.ts'
import { FakeClock, FakeWebSocket, flush } from './fakes.ts'

// The reconnecting client against a fake WebSocket and a manual clock: every timing is
// exact, so the schedule itself is what is asserted.

type Chat = {
  clientToServer: { say: { text: string }; join: { room: string } }
  serverToClient: { said: { text: string }; welcome: { id: string } }
  replies: { join: { members: string[] } }
}

let clock: FakeClock
beforeEach(() => {
  FakeWebSocket.reset()
  clock = new FakeClock()
})

function client<C extends EventContract = Chat>(options: ClientOptions<C> = {}, url = 'ws://test/ws') {
  const c = connect<C>(url, {
    WebSocket: FakeWebSocket as unknown as WebSocketConstructor,
    clock,
    random: () => 0.5, // no jitter unless a test says otherwise
    lifecycle: false,
    ...options,
  })
  const states: ClientState[] = []
  c.addEventListener('state', ({ state }) => states.push(state))
  return { c, states }
}

describe('backoff schedule', () => {
  it('doubles from 1 s to the 10 s cap, jitter ±50 % from the injected random', () => {
    const defaults = resolveBackoff()
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, defaults, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000])
    // random 0 → −50 %, random → 1 → +50 % (still capped at maxDelay).
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, defaults, () => 0))).toEqual([500, 1000, 2000, 4000])
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, defaults, () => 0.999999))).toEqual([1500, 3000, 6000, 10000])
    expect(backoffDelay(2, resolveBackoff({ jitter: 0 }), () => 0)).toBe(2000)
  })

  it('rejects nonsense options at construction', () => {
    expect(() => resolveBackoff({ minDelay: 5000, maxDelay: 1000 })).toThrow(RangeError)
    expect(() => resolveBackoff({ factor: 0.5 })).toThrow(RangeError)
    expect(() => resolveBackoff({ jitter: 2 })).toThrow(RangeError)
  })

  it('waits the jittered delay before each attempt, and resets after a stable connection', async () => {
    const randoms = [0, 0.999999, 0.25, 0.5]
    const { c } = client({ random: () => randoms.shift() ?? 0.5 })
    const retries: (number | undefined)[] = []
    c.addEventListener('close', ({ retryIn }) => retries.push(retryIn))
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    FakeWebSocket.last.serverClose(1006)
    expect(retries).toEqual([500]) // retry 1: 1000 − 50 %
    await clock.advance(499)
    expect(FakeWebSocket.all).toHaveLength(1)
    await clock.advance(1)
    expect(FakeWebSocket.all).toHaveLength(2)
    FakeWebSocket.last.refuse()
    expect(retries).toEqual([500, 3000]) // retry 2: 2000 + 50 %
    await clock.advance(3000)
    FakeWebSocket.last.refuse()
    expect(retries).toEqual([500, 3000, 3000]) // retry 3: 4000 − 25 %
    expect(c.attempt).toBe(3)
    await clock.advance(3000)
    FakeWebSocket.last.accept()
    await flush()
    expect(c.state).toBe('open')
    expect(c.attempt).toBe(3) // not yet stable
    await clock.advance(5000)
    expect(c.attempt).toBe(0)
    FakeWebSocket.last.serverClose(1001, 'going away')
    expect(retries.at(-1)).toBe(1000) // back to the first delay
    expect(c.lastClose).toEqual({ code: 1001, reason: 'going away' })
  })

  it('a connection that drops before it was stable keeps backing off', async () => {
    const { c } = client()
    const retries: (number | undefined)[] = []
    c.addEventListener('close', ({ retryIn }) => retries.push(retryIn))
    await flush()
    for (let i = 0; i < 4; i++) {
      FakeWebSocket.last.accept()
      await clock.advance(100)
      FakeWebSocket.last.serverClose(1006)
      await clock.advance(retries.at(-1)!)
    }
    expect(retries).toEqual([1000, 2000, 4000, 8000])
  })

  it('gives up after maxRetries, and reconnect() starts again (partykit #252)', async () => {
    const { c, states } = client({ reconnect: { maxRetries: 2 } })
    await flush()
    FakeWebSocket.last.refuse()
    await clock.advance(1000)
    FakeWebSocket.last.refuse()
    await clock.advance(2000)
    FakeWebSocket.last.refuse()
    expect(c.state).toBe('closed')
    expect(FakeWebSocket.all).toHaveLength(3)
    await clock.advance(60_000)
    expect(FakeWebSocket.all).toHaveLength(3)
    c.reconnect()
    await flush()
    expect(FakeWebSocket.all).toHaveLength(4)
    FakeWebSocket.last.accept()
    await flush()
    expect(c.state).toBe('open')
    expect(states).toEqual(['closed', 'connecting', 'open'])
  })
})

describe('states and stop codes', () => {
  it('goes connecting → open → reconnecting → open and reports the close', async () => {
    const { c, states } = client()
    expect(c.state).toBe('connecting')
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    FakeWebSocket.last.serverClose(1001, 'server shutting down')
    expect(c.state).toBe('reconnecting')
    expect(c.lastClose).toEqual({ code: 1001, reason: 'server shutting down' })
    await clock.advance(1000)
    FakeWebSocket.last.accept()
    await flush()
    expect(states).toEqual(['open', 'reconnecting', 'open'])
  })

  it.each([1008, 4000, 4001, 4099])('stops on close code %i (policy, app auth range)', async (code) => {
    const { c } = client()
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    const closes: { code: number; retryIn: number | undefined }[] = []
    c.addEventListener('close', ({ code, retryIn }) => closes.push({ code, retryIn }))
    FakeWebSocket.last.serverClose(code, 'go away')
    expect(c.state).toBe('closed')
    expect(closes).toEqual([{ code, retryIn: undefined }])
    await clock.advance(60_000)
    expect(FakeWebSocket.all).toHaveLength(1)
  })

  it('keeps reconnecting on 4100, and stopCodes replaces the default list', async () => {
    const { c } = client({ reconnect: { stopCodes: [4100] } })
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    FakeWebSocket.last.serverClose(4001)
    expect(c.state).toBe('reconnecting')
    await clock.advance(1000)
    FakeWebSocket.last.accept()
    await flush()
    FakeWebSocket.last.serverClose(4100)
    expect(c.state).toBe('closed')
  })

  it('a stopCodes function sees the code and reason', async () => {
    const { c } = client({ reconnect: { stopCodes: (code, reason) => code === 1000 && reason === 'bye' } })
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    FakeWebSocket.last.serverClose(1000, 'later')
    expect(c.state).toBe('reconnecting')
    await clock.advance(1000)
    FakeWebSocket.last.accept()
    await flush()
    FakeWebSocket.last.serverClose(1000, 'bye')
    expect(c.state).toBe('closed')
  })

  it('close() stops for good: the socket is closed, no retry, sends refused', async () => {
    const { c, states } = client()
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    const ws = FakeWebSocket.last
    c.close(1000, 'done')
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'done' })
    expect(c.state).toBe('closed')
    await clock.advance(60_000)
    expect(FakeWebSocket.all).toHaveLength(1)
    expect(c.send('late')).toBe(false)
    await expect(c.request('join', { room: 'a' })).rejects.toMatchObject({ reason: 'closed' })
    expect(states).toEqual(['open', 'closed'])
    expect(() => c.close(1006)).toThrow(RangeError)
  })

  it('close() while waiting for a retry cancels it', async () => {
    const { c } = client()
    await flush()
    FakeWebSocket.last.refuse()
    expect(clock.pending).toContain(1000)
    c.close()
    await clock.advance(60_000)
    expect(FakeWebSocket.all).toHaveLength(1)
  })

  it('reconnect: false closes on the first drop', async () => {
    const { c } = client({ reconnect: false })
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    FakeWebSocket.last.serverClose(1006)
    expect(c.state).toBe('closed')
  })

  it('an attempt that does not open within connectTimeout is dropped and retried', async () => {
    const { c } = client({ connectTimeout: 3000 })
    await flush()
    const first = FakeWebSocket.last
    await clock.advance(3000)
    expect(first.readyState).toBe(3)
    expect(c.lastClose).toEqual({ code: 1006, reason: 'connect timeout' })
    await clock.advance(1000)
    expect(FakeWebSocket.all).toHaveLength(2)
    expect(FakeWebSocket.live).toHaveLength(1)
  })

  it('takes the URL from a function on every attempt', async () => {
    let n = 0
    client({}, undefined as never)
    FakeWebSocket.reset()
    const { c } = client({}, (() => `ws://test/ws?token=${++n}`) as never)
    await flush()
    FakeWebSocket.last.refuse()
    await clock.advance(1000)
    expect(FakeWebSocket.all.map((ws) => ws.url)).toEqual(['ws://test/ws?token=1', 'ws://test/ws?token=2'])
    c.close()
  })
})

describe('flapping network', () => {
  it('never holds two sockets, whatever order online/pageshow/visibility events come in', async () => {
    const win = new EventTarget()
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' })
    // An async URL (a token fetched per attempt) opens a window where a second attempt could start.
    const url = async () => {
      await Promise.resolve()
      return 'ws://test/ws'
    }
    const { c } = client({ lifecycle: { window: win, document: doc } }, url as never)
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    let maxLive = 1
    const track = () => (maxLive = Math.max(maxLive, FakeWebSocket.live.length))
    for (let round = 0; round < 20; round++) {
      FakeWebSocket.last.serverClose(1006) // the network dropped
      track()
      for (let i = 0; i < 5; i++) {
        win.dispatchEvent(new Event('offline'))
        win.dispatchEvent(new Event('online'))
        win.dispatchEvent(new Event('pageshow'))
        doc.dispatchEvent(new Event('visibilitychange'))
        await flush()
        track()
      }
      if (round % 3 === 0) FakeWebSocket.last.refuse() // one attempt fails on a flaky link
      await clock.advance(20_000)
      track()
      if (FakeWebSocket.last.readyState === 0) FakeWebSocket.last.accept()
      await flush()
      track()
    }
    expect(maxLive).toBe(1)
    expect(FakeWebSocket.live).toHaveLength(1)
    expect(c.state).toBe('open')
    c.close()
    expect(FakeWebSocket.live).toHaveLength(0)
  })

  it('online makes a waiting retry happen now; it does nothing while connected', async () => {
    const win = new EventTarget()
    const { c } = client({ lifecycle: { window: win, document: Object.assign(new EventTarget(), { visibilityState: 'hidden' }) } })
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    win.dispatchEvent(new Event('online'))
    await flush()
    expect(FakeWebSocket.all).toHaveLength(1)
    FakeWebSocket.last.refuse()
    expect(c.state).toBe('reconnecting')
    win.dispatchEvent(new Event('online'))
    await flush()
    expect(FakeWebSocket.all).toHaveLength(2) // without waiting the 1 s
    expect(clock.pending).not.toContain(1000)
  })

  it('visibilitychange wakes a retry only when the page becomes visible', async () => {
    const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' })
    client({ lifecycle: { window: new EventTarget(), document: doc } })
    await flush()
    FakeWebSocket.last.refuse()
    doc.dispatchEvent(new Event('visibilitychange'))
    await flush()
    expect(FakeWebSocket.all).toHaveLength(1)
    doc.visibilityState = 'visible'
    doc.dispatchEvent(new Event('visibilitychange'))
    await flush()
    expect(FakeWebSocket.all).toHaveLength(2)
  })

  it('close() removes the lifecycle listeners', async () => {
    const win = new EventTarget()
    const { c } = client({ lifecycle: { window: win, document: Object.assign(new EventTarget(), { visibilityState: 'visible' }) } })
    await flush()
    c.close()
    win.dispatchEvent(new Event('online'))
    await flush()
    expect(FakeWebSocket.all).toHaveLength(1)
  })
})

describe('send buffer', () => {
  it('queues while down and sends in order after ready, ahead of nothing the app sends in ready', async () => {
    let release!: () => void
    const { c } = client({
      ready: async (ctx) => {
        ctx.emit('join', { room: 'lobby' })
        await new Promise<void>((r) => (release = r))
      },
    })
    c.emit('say', { text: 'one' })
    c.send('raw two')
    expect(c.buffered).toBe(2)
    await flush()
    const ws = FakeWebSocket.last
    ws.accept()
    await flush()
    c.emit('say', { text: 'three' }) // during ready: still buffered
    expect(ws.sent).toEqual([JSON.stringify({ type: 'join', data: { room: 'lobby' } })])
    expect(c.state).toBe('connecting')
    release()
    await flush()
    expect(c.state).toBe('open')
    expect(ws.sent.slice(1)).toEqual([JSON.stringify({ type: 'say', data: { text: 'one' } }), 'raw two', JSON.stringify({ type: 'say', data: { text: 'three' } })])
    expect(c.buffered).toBe(0)
    c.emit('say', { text: 'four' }) // open: straight out
    expect(ws.sent).toHaveLength(5)
  })

  it('what an open or state listener sends follows the buffered messages', async () => {
    const { c } = client()
    c.addEventListener('state', ({ state }) => state === 'open' && c.send('from state'))
    c.addEventListener('open', () => c.send('from open'))
    c.send('buffered')
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    expect(FakeWebSocket.last.sent).toEqual(['buffered', 'from state', 'from open'])
  })

  it('ready is called within the open event: a message right behind the open reaches what it waits for', async () => {
    const { c } = client({ ready: (): Promise<unknown> => c.once('welcome') })
    c.send('queued')
    await flush()
    const ws = FakeWebSocket.last
    ws.accept()
    ws.receive({ type: 'welcome', data: { id: 'x' } }) // same tick, before any microtask
    await flush()
    expect(c.state).toBe('open')
    expect(ws.sent).toEqual(['queued'])
  })

  it('ready runs again on every reconnection, told it is one', async () => {
    const seen: boolean[] = []
    client({ ready: (ctx) => void seen.push(ctx.reconnected) })
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    FakeWebSocket.last.serverClose(1006)
    await clock.advance(1000)
    FakeWebSocket.last.accept()
    await flush()
    expect(seen).toEqual([false, true])
  })

  it('a ready that throws or hangs drops the connection and retries', async () => {
    const errors: unknown[] = []
    let calls = 0
    const { c } = client({
      readyTimeout: 2000,
      ready: () => {
        if (++calls === 1) throw new Error('auth refused')
        return new Promise(() => {})
      },
    })
    c.addEventListener('error', ({ error }) => errors.push((error as Error).message))
    c.send('queued')
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    expect(FakeWebSocket.all[0]!.readyState).toBe(3)
    expect(c.lastClose).toEqual({ code: 1006, reason: 'ready failed' })
    await clock.advance(1000)
    FakeWebSocket.last.accept()
    await clock.advance(2000)
    expect(errors).toEqual(['auth refused', 'ready did not finish within 2000 ms'])
    expect(FakeWebSocket.all.every((ws) => ws.sent.length === 0)).toBe(true)
    expect(c.buffered).toBe(1)
  })

  it('refuses what does not fit (count), reporting a drop; what was queued stays', async () => {
    const { c } = client({ buffer: { maxMessages: 3 } })
    const drops: unknown[] = []
    c.addEventListener('drop', ({ data, reason }) => drops.push({ data, reason }))
    expect(['a', 'b', 'c', 'd'].map((m) => c.send(m))).toEqual([true, true, true, false])
    expect(drops).toEqual([{ data: 'd', reason: 'overflow' }])
    await expect(c.request('join', { room: 'x' })).rejects.toMatchObject({ reason: 'overflow' })
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    expect(FakeWebSocket.last.sent).toEqual(['a', 'b', 'c'])
  })

  it('counts bytes in UTF-8 and refuses past maxBytes; one message larger than the buffer is always refused', async () => {
    const { c } = client({ buffer: { maxBytes: 10, overflow: 'drop-oldest' } })
    expect(c.send('ééé')).toBe(true) // 6 bytes
    expect(c.bufferedBytes).toBe(6)
    expect(c.send(new Uint8Array(4))).toBe(true) // 10
    expect(c.send('x'.repeat(11))).toBe(false)
    expect(c.buffered).toBe(2)
    expect(c.bufferedBytes).toBe(10)
  })

  it('drop-oldest makes room by dropping the oldest, and a dropped request rejects', async () => {
    const { c } = client({ buffer: { maxMessages: 2, overflow: 'drop-oldest' } })
    const drops: unknown[] = []
    c.addEventListener('drop', ({ data }) => drops.push(data))
    const joined = c.request('join', { room: 'x' })
    c.send('b')
    c.send('c')
    await expect(joined).rejects.toMatchObject({ reason: 'overflow', event: 'join' })
    c.send('d')
    expect(drops).toEqual([JSON.stringify({ type: 'join', data: { room: 'x' }, ack: 0 }), 'b'])
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    expect(FakeWebSocket.last.sent).toEqual(['c', 'd'])
  })

  it('buffer: false refuses sends while down', async () => {
    const { c } = client({ buffer: false })
    expect(c.send('x')).toBe(false)
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    expect(c.send('y')).toBe(true)
    expect(FakeWebSocket.last.sent).toEqual(['y'])
  })

  it('close() drops the buffer, reported as drops with reason closed', async () => {
    const { c } = client()
    const drops: unknown[] = []
    c.addEventListener('drop', ({ data, reason }) => drops.push({ data, reason }))
    c.send('a')
    c.close()
    expect(drops).toEqual([{ data: 'a', reason: 'closed' }])
    expect(c.buffered).toBe(0)
  })

  it('rejects nonsense limits', () => {
    expect(() => client({ buffer: { maxMessages: 0 } })).toThrow(RangeError)
  })
})

describe('events and requests', () => {
  async function opened(options: ClientOptions<Chat> = {}) {
    const made = client(options)
    await flush()
    FakeWebSocket.last.accept()
    await flush()
    return { ...made, ws: FakeWebSocket.last }
  }

  it('emit sends an envelope; on gets the data of its event; message sees everything not reserved', async () => {
    const { c, ws } = await opened()
    const said: unknown[] = []
    const raw: unknown[] = []
    const off = c.on('said', (data) => said.push(data.text))
    c.addEventListener('message', ({ data }) => raw.push(data))
    c.emit('say', { text: 'hi' })
    expect(ws.envelopes).toEqual([{ type: 'say', data: { text: 'hi' } }])
    ws.receive({ type: 'said', data: { text: 'hello' } })
    ws.receive('plain text')
    ws.receive({ type: 'portsocket:ping' })
    off()
    ws.receive({ type: 'said', data: { text: 'unheard' } })
    expect(said).toEqual(['hello'])
    expect(raw).toEqual([JSON.stringify({ type: 'said', data: { text: 'hello' } }), 'plain text', JSON.stringify({ type: 'said', data: { text: 'unheard' } })])
    expect(() => c.on('portsocket:ack' as never, () => {})).toThrow(RangeError)
  })

  it('answers portsocket:ping with portsocket:pong', async () => {
    const { ws } = await opened()
    ws.receive({ type: 'portsocket:ping' })
    expect(ws.envelopes).toEqual([{ type: 'portsocket:pong' }])
  })

  it('a listener that throws does not stop the others and goes to error listeners', async () => {
    const { c, ws } = await opened()
    const errors: unknown[] = []
    const said: unknown[] = []
    c.addEventListener('error', ({ error }) => errors.push((error as Error).message))
    c.on('said', () => {
      throw new Error('boom')
    })
    c.on('said', (d) => said.push(d.text))
    ws.receive({ type: 'said', data: { text: 'x' } })
    expect(errors).toEqual(['boom'])
    expect(said).toEqual(['x'])
  })

  it('request resolves with the reply of its ack id, and rejects invalid with the issues', async () => {
    const { c, ws } = await opened()
    const first = c.request('join', { room: 'a' })
    const second = c.request('join', { room: '' })
    expect(ws.envelopes).toEqual([
      { type: 'join', data: { room: 'a' }, ack: 0 },
      { type: 'join', data: { room: '' }, ack: 1 },
    ])
    ws.receive({ type: 'portsocket:ack', ack: 1, error: { message: 'invalid data', issues: [{ message: 'too short', path: ['room'] }] } })
    ws.receive({ type: 'portsocket:ack', ack: 0, data: { members: ['x'] } })
    expect((await first).members).toEqual(['x'])
    const error = await second.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RequestError)
    expect(error).toMatchObject({ reason: 'invalid', event: 'join', message: 'invalid data', issues: [{ message: 'too short', path: ['room'] }] })
  })

  it('times out, counting buffer time, and a timed-out request is taken out of the buffer (socket.io #4318)', async () => {
    const { c } = client({ requestTimeout: 3000 })
    const timedOut = c.request('join', { room: 'a' }).catch((e: unknown) => e)
    c.send('after')
    await clock.advance(3000)
    expect(await timedOut).toMatchObject({ reason: 'timeout', event: 'join' })
    expect(c.buffered).toBe(1)
    FakeWebSocket.last.accept()
    await flush()
    expect(FakeWebSocket.last.sent).toEqual(['after'])
  })

  it('a per-call timeout wins, and a late reply is ignored', async () => {
    const { c, ws } = await opened()
    const r = c.request('join', { room: 'a' }, { timeout: 50 }).catch((e: unknown) => e)
    await clock.advance(50)
    expect(await r).toMatchObject({ reason: 'timeout' })
    ws.receive({ type: 'portsocket:ack', ack: 0, data: {} })
  })

  it('a request sent on a connection that drops rejects with disconnected; one still buffered survives', async () => {
    const { c, ws } = await opened()
    const sent = c.request('join', { room: 'a' }).catch((e: unknown) => e)
    ws.serverClose(1006)
    expect(await sent).toMatchObject({ reason: 'disconnected' })
    const later = c.request('join', { room: 'b' })
    await clock.advance(1000)
    FakeWebSocket.last.accept()
    await flush()
    expect(FakeWebSocket.last.envelopes).toEqual([{ type: 'join', data: { room: 'b' }, ack: 1 }])
    FakeWebSocket.last.receive({ type: 'portsocket:ack', ack: 1, data: { members: [] } })
    expect(await later).toEqual({ members: [] })
  })

  it('ready can make a request on the new connection ahead of the buffer', async () => {
    const { c } = client({
      ready: async (ctx) => {
        const { members } = await ctx.request('join', { room: 'lobby' })
        expect(members).toEqual(['me'])
      },
    })
    c.emit('say', { text: 'queued' })
    await flush()
    const ws = FakeWebSocket.last
    ws.accept()
    await flush()
    expect(ws.envelopes).toEqual([{ type: 'join', data: { room: 'lobby' }, ack: 0 }])
    ws.receive({ type: 'portsocket:ack', ack: 0, data: { members: ['me'] } })
    await flush()
    expect(ws.envelopes.map((e) => e.type)).toEqual(['join', 'say'])
    expect(c.state).toBe('open')
  })

  it('portsocket:invalid reaches error listeners as InvalidEventError', async () => {
    const { c, ws } = await opened()
    const errors: unknown[] = []
    c.addEventListener('error', ({ error }) => errors.push(error))
    ws.receive({ type: 'portsocket:invalid', data: { event: 'say', issues: [{ message: 'text required', path: ['text'] }] } })
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ name: 'InvalidEventError', event: 'say', issues: [{ message: 'text required', path: ['text'] }] })
  })

  it('once resolves with the next event', async () => {
    const { c, ws } = await opened()
    const welcome = c.once('welcome')
    ws.receive({ type: 'welcome', data: { id: 'abc' } })
    expect(await welcome).toEqual({ id: 'abc' })
  })
})

describe('heartbeat', () => {
  it('reconnects when nothing arrives for the timeout; any message (a ping included) resets it', async () => {
    const { c } = client({ heartbeat: { timeout: 5000 } })
    await flush()
    const ws = FakeWebSocket.last
    ws.accept()
    await flush()
    await clock.advance(4000)
    ws.receive({ type: 'portsocket:ping' })
    await clock.advance(4000)
    ws.receive('anything')
    await clock.advance(4999)
    expect(c.state).toBe('open')
    await clock.advance(1)
    expect(c.state).toBe('reconnecting')
    expect(c.lastClose).toEqual({ code: 1006, reason: 'heartbeat timeout' })
    expect(ws.readyState).toBe(3)
    await clock.advance(1000)
    expect(FakeWebSocket.live).toHaveLength(1)
    expect(FakeWebSocket.last).not.toBe(ws)
  })

  it('asks with a ping halfway through a silence, and a pong keeps the link', async () => {
    const { c } = client({ heartbeat: { timeout: 5000 } })
    await flush()
    const ws = FakeWebSocket.last
    ws.accept()
    await flush()
    await clock.advance(2499)
    expect(ws.sent).toEqual([])
    await clock.advance(1)
    expect(ws.sent).toEqual([JSON.stringify({ type: 'portsocket:ping' })])
    ws.receive({ type: 'portsocket:pong' })
    await clock.advance(4999)
    expect(c.state).toBe('open')
    expect(ws.sent).toHaveLength(2) // the next probe, 2.5 s after the pong
    await clock.advance(1)
    expect(c.state).toBe('reconnecting') // no answer to it: dead
  })
})
