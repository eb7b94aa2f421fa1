import { randomBytes } from 'node:crypto'
import { createConnection } from 'node:net'
import { describe, expect, it } from 'vitest'
import { connect } from '../support/client.ts'
import { baseUrl, can, sleep, wsUrl } from '../support/env.ts'
import { newTag, readLog, waitForLog } from '../support/fixture-log.ts'
import { rawHandshake } from '../support/handshake.ts'

const MiB = 1024 * 1024

describe('ordering', () => {
  it('messages wait until an async open hook settles', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/core/slow-open?tag=${tag}`))
    client.send('first')
    expect(await client.nextText()).toBe('after-open:first')
    const order = (await readLog(baseUrl, tag)).map((e) => e.event).filter((e) => e !== 'open')
    expect(order).toEqual(['open-start', 'open-end', 'message'])
    client.close()
  })

  it('an open hook that rejects closes 1011 and no message hook runs', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/core/open-rejects?tag=${tag}`))
    client.send('a')
    client.send('b')
    expect((await client.waitClosed()).code).toBe(1011)
    const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
    expect(error.message).toBe('open rejected on purpose')
    await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    expect((await readLog(baseUrl, tag)).filter((e) => e.event === 'message')).toEqual([])
    expect(client.pending).toBe(0) // nothing was answered
  })

  it('once the close hook has started no message hook runs; what was queued is dropped and counted', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/core/close-drops?tag=${tag}`))
    client.send('hold')
    client.send('b')
    client.send('c')
    client.close(1000, 'done')
    await client.waitClosed()
    const summary = await waitForLog(baseUrl, tag, (e) => e.event === 'summary')
    expect(summary).toMatchObject({ dropped: 2, in: 3 })
    const log = await readLog(baseUrl, tag)
    expect(log.filter((e) => e.event === 'message')).toHaveLength(1)
    // The close hook ran after the busy message hook had settled.
    expect(log.findIndex((e) => e.event === 'close')).toBeGreaterThan(log.findIndex((e) => e.event === 'message'))
  })
})

describe('bounded inbound queue', () => {
  it('a flood behind a slow async hook stays bounded, and another connection is untouched', async () => {
    const tag = newTag()
    const bystander = await connect(wsUrl('/ws/echo'))
    const client = await connect(wsUrl(`/ws/core/flood-in?tag=${tag}`))
    for (let i = 0; i < 199; i++) client.send(`m${i}`)
    client.send('last')
    bystander.send('still here')
    expect(await bystander.nextText()).toBe('still here')
    if (can.pauseReads) {
      // Reads pause at 8 queued messages and resume at 4: every message is handled.
      expect(await client.nextText(15_000)).toBe('handled:200')
      expect(client.isOpen).toBe(true)
      client.close()
    } else {
      const seen = await client.waitClosed()
      // Deno may reset a client that keeps sending instead of delivering the close frame.
      if (can.closeFrameWhileSending || seen.code !== 1006) expect(seen).toEqual({ code: 1008, reason: 'inbound queue full' })
      await waitForLog(baseUrl, tag, (e) => e.event === 'close')
      expect(client.pending).toBe(0) // never all handled: the queue was cut, not grown
    }
    bystander.send('after')
    expect(await bystander.nextText()).toBe('after')
    bystander.close()
  })
})

describe('transport errors', () => {
  it('a message over the transport ceiling: the close hook sees the code the client saw, and the error hook hears of it', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/core/big?tag=${tag}`))
    client.send(new Uint8Array(MiB + 1))
    if (can.transportCeiling) {
      const seen = await client.waitClosed(15_000)
      expect(seen.code).toBe(1009)
      const closed = await waitForLog(baseUrl, tag, (e) => e.event === 'close')
      expect(closed.code).toBe(1009)
      const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
      expect(error.name).toBe('TransportError')
    } else {
      // No transport ceiling: the route's own 8 MiB limit applies and the message arrives.
      expect(((await client.next(15_000)).data as Buffer).byteLength).toBe(MiB + 1)
      client.close()
    }
  })

  it('invalid UTF-8 in a text frame: the close hook sees the code the client saw, and the error hook hears of it', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/echo?tag=${tag}`))
    client.ws.send(Buffer.from([0x68, 0xff, 0xfe]), { binary: false })
    if (can.invalidUtf8 === 'not validated') {
      // workerd delivers the frame, its bad bytes replaced by U+FFFD (see the capability table).
      expect(await client.nextText()).toBe('h\ufffd\ufffd')
      client.close()
      return
    }
    const seen = await client.waitClosed()
    expect(seen.code).toBe(can.invalidUtf8)
    const closed = await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    expect(closed.code).toBe(seen.code)
    const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
    expect(error.name).toBe('TransportError')
  })
})

describe('an upgrade that fails after accept', () => {
  it('settles when the client hangs up while the app is still answering: closed resolves with 1006 and for await ends', async () => {
    const tag = newTag()
    // The app has made its socket (upgrade(c)) and takes 300 ms to answer; the client
    // sends a valid handshake and hangs up 50 ms in, so the runtime's upgrade cannot complete.
    const { port, hostname } = new URL(baseUrl)
    const tcp = createConnection({ host: hostname, port: Number(port) })
    await new Promise<void>((resolve, reject) => tcp.once('connect', resolve).once('error', reject))
    tcp.write(
      `GET /ws/core/settle-late?tag=${tag} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
    )
    await sleep(50)
    tcp.destroy()
    const settled = await waitForLog(baseUrl, tag, (e) => e.event === 'settled', 10_000)
    expect(settled).toMatchObject({ code: 1006, readyState: 3 })
    await waitForLog(baseUrl, tag, (e) => e.event === 'iteration-ended')
    // The server goes on serving others.
    const client = await connect(wsUrl('/ws/echo'))
    client.send('still here')
    expect(await client.nextText()).toBe('still here')
    client.close()
  })

  it('a malformed Sec-WebSocket-Key is refused before any socket is made (or, where the runtime answers the handshake itself, per the capability table)', async () => {
    const tag = newTag()
    const answer = await rawHandshake(wsUrl(`/ws/core/settle?tag=${tag}`), { 'sec-websocket-key': 'not-a-valid-key' })
    if (!can.frames.checksHandshake) {
      // workerd's front end answers the handshake before the Worker runs (see "Protocol edges").
      expect(answer.status).toBe(101)
      return
    }
    expect(answer.status).toBe(400)
    await sleep(200)
    expect(await readLog(baseUrl, tag)).toEqual([])
  })
})

describe('request/ack', () => {
  it('answers an envelope carrying an ack id with its handler\'s settled value', async () => {
    const client = await connect(wsUrl('/ws/core/events'))
    client.sendJson({ type: 'slow', data: 'later', ack: 1 })
    client.sendJson({ type: 'add', data: [2, 3], ack: 2 })
    expect(await client.nextJson()).toEqual({ type: 'portsocket:ack', ack: 1, data: 'later' })
    expect(await client.nextJson()).toEqual({ type: 'portsocket:ack', ack: 2, data: 5 })
    client.close()
  })

  it('a handler that throws closes 1011, and sends no ack', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/core/events?tag=${tag}`))
    client.sendJson({ type: 'fail', ack: 3 })
    expect((await client.waitClosed()).code).toBe(1011)
    expect(client.pending).toBe(0)
    expect((await waitForLog(baseUrl, tag, (e) => e.event === 'error')).message).toBe('ack handler failed on purpose')
  })
})

describe('app-level heartbeat', () => {
  it('sends portsocket:ping each tick; the pong is consumed and never reaches the hooks', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/core/app-heartbeat?tag=${tag}`))
    let pings = 0
    // Answer every app ping, as the browser client does.
    client.ws.on('message', (data: Buffer) => {
      if (data.toString() === '{"type":"portsocket:ping"}') {
        pings++
        client.sendJson({ type: 'portsocket:pong' })
      }
    })
    client.send('hello')
    expect(await client.nextMatching((m) => m.data === 'echo:hello')).toBeTruthy()
    await sleep(1500) // several 400 ms ticks, answered only with pongs
    expect(pings).toBeGreaterThanOrEqual(2)
    expect(client.isOpen).toBe(true)
    const messages = (await readLog(baseUrl, tag)).filter((e) => e.event === 'message')
    expect(messages).toHaveLength(1)
    client.close()
  })

  it("answers a client's portsocket:ping with portsocket:pong (a hibernatable route on workerd: the auto-response)", async () => {
    const client = await connect(wsUrl('/ws/core/persist'))
    client.send('{"type":"portsocket:ping"}')
    expect(await client.nextJson()).toEqual({ type: 'portsocket:pong' })
    client.sendJson({ type: 'get', ack: 1 })
    expect(((await client.nextJson()) as { ack: number }).ack).toBe(1) // the ping never reached the hooks
    client.close()
  })
})

describe('connection facts', () => {
  it('the socket knows its ws:// URL and the client address', async () => {
    const client = await connect(wsUrl('/ws/core/persist?probe=1'))
    client.sendJson({ type: 'get', ack: 1 })
    const { data } = (await client.nextJson()) as { data: { url: string; remoteAddress: string } }
    expect(data.url).toBe(wsUrl('/ws/core/persist?probe=1'))
    expect(data.remoteAddress).toMatch(/^(::ffff:)?127\.0\.0\.1$/)
    client.close()
  })
})

describe('schema validation', () => {
  it('valid data reaches the handler as the schema output', async () => {
    const client = await connect(wsUrl('/ws/core/events'))
    client.emit('say', { text: 'hi' })
    expect(await client.nextEvent('said')).toBe('HI')
    client.close()
  })

  it("invalid data (default 'reply'): the client is told what is wrong, the input is not echoed, the error hook gets a ValidationError, the socket stays open", async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/core/events?tag=${tag}`))
    client.emit('say', { text: 12345 })
    const issues = [{ message: 'text must be a string', path: ['text'] }]
    const reply = await client.nextJson()
    expect(reply).toEqual({ type: 'portsocket:invalid', data: { event: 'say', issues } })
    expect(JSON.stringify(reply)).not.toContain('12345')
    client.sendJson({ type: 'say', data: 7, ack: 4 })
    expect(await client.nextJson()).toEqual({ type: 'portsocket:ack', ack: 4, error: { message: 'invalid data', issues } })
    const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
    expect(error).toMatchObject({ name: 'ValidationError', issues })
    client.emit('say', { text: 'ok' })
    expect(await client.nextEvent('said')).toBe('OK')
    client.close()
  })

  it("invalidEvents 'close' closes with 1007", async () => {
    const client = await connect(wsUrl('/ws/core/events-close'))
    client.emit('say', 'nope')
    expect(await client.waitClosed()).toEqual({ code: 1007, reason: 'invalid data' })
  })
})
