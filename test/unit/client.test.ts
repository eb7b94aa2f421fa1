import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { connect, tryUpgrade, waitFor, type TestClient } from '../support/client.ts'

// The test client itself, against tiny in-process servers on 127.0.0.1.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
}

/** A ws server on its own http server; `onConnection` gets each server-side socket. */
async function wsServer(onConnection: (ws: WebSocket, req: IncomingMessage) => void = () => {}, options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const http = createServer()
  const wss = new WebSocketServer({ server: http, ...options })
  wss.on('connection', onConnection)
  const port = await listen(http)
  cleanups.push(async () => {
    for (const client of wss.clients) client.terminate()
    await new Promise((r) => wss.close(r))
    http.closeAllConnections()
    await new Promise((r) => http.close(r))
  })
  return { url: `ws://127.0.0.1:${port}`, wss }
}

async function open(url: string, options?: Parameters<typeof connect>[1]): Promise<TestClient> {
  const client = await connect(url, options)
  cleanups.push(() => client.ws.terminate())
  return client
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('test client', () => {
  it('queues messages that arrive before next() is called, in order, text and binary apart', async () => {
    const { url } = await wsServer((ws) => {
      ws.send('one')
      ws.send(Buffer.from([1, 2, 3]))
      ws.send(JSON.stringify({ n: 3 }))
    })
    const client = await open(url)
    await waitFor(() => client.pending === 3, 2000, 'three queued messages')
    expect(await client.next()).toEqual({ data: 'one', isBinary: false })
    const binary = await client.next()
    expect(binary.isBinary).toBe(true)
    expect(Buffer.isBuffer(binary.data) && [...binary.data]).toEqual([1, 2, 3])
    expect(await client.nextJson()).toEqual({ n: 3 })
    expect(client.pending).toBe(0)
  })

  it('hands a message to a waiting next() and takes events by type, leaving the rest queued', async () => {
    const { url } = await wsServer((ws) => {
      ws.on('message', (data) => {
        if (String(data) === 'go') {
          ws.send('plain')
          ws.send(JSON.stringify({ type: 'other', data: 1 }))
          ws.send(JSON.stringify({ type: 'wanted', data: { ok: true } }))
        } else ws.send(`echo:${data}`)
      })
    })
    const client = await open(url)
    const waiting = client.nextText()
    client.send('hi')
    expect(await waiting).toBe('echo:hi')
    client.send('go')
    expect(await client.nextEvent('wanted')).toEqual({ ok: true })
    expect(client.pending).toBe(2)
    expect(await client.nextText()).toBe('plain')
    expect(await client.nextJson()).toEqual({ type: 'other', data: 1 })
  })

  it('reports the close code and reason the server sent, once, and fails later waits at once', async () => {
    const { url } = await wsServer((ws) => ws.on('message', () => ws.close(4001, 'bye now')))
    const client = await open(url)
    expect(client.isOpen).toBe(true)
    client.send('close me')
    expect(await client.waitClosed()).toEqual({ code: 4001, reason: 'bye now' })
    expect(await client.closed).toEqual({ code: 4001, reason: 'bye now' })
    expect(client.isOpen).toBe(false)
    const started = Date.now()
    await expect(client.next(5000)).rejects.toThrow(/closed with 4001 "bye now" while waiting for a message/)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('sends its own close code and reason to the server', async () => {
    let seen: { code: number; reason: string } | undefined
    const { url } = await wsServer((ws) => ws.on('close', (code, reason) => (seen = { code, reason: String(reason) })))
    const client = await open(url)
    client.close(4000, 'done here')
    expect(await client.waitClosed()).toEqual({ code: 4000, reason: 'done here' })
    await waitFor(() => seen !== undefined, 2000, 'the server to see the close')
    expect(seen).toEqual({ code: 4000, reason: 'done here' })
  })

  it('sends headers, origin and subprotocols, and tryUpgrade returns the 101 headers', async () => {
    let request: IncomingMessage | undefined
    const { url, wss } = await wsServer((_ws, req) => (request = req), {
      handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false),
    })
    wss.on('headers', (headers) => headers.push('X-Test-Header: from-server'))
    const result = await tryUpgrade(`${url}/path?q=1`, {
      protocols: ['chat.v1', 'chat.v2'],
      headers: { 'x-token': 'abc' },
      origin: 'https://app.example',
    })
    if (!result.ok) throw new Error(`expected an upgrade, got ${result.status}`)
    cleanups.push(() => result.client.ws.terminate())
    expect(result.protocol).toBe('chat.v2')
    expect(result.client.protocol).toBe('chat.v2')
    expect(result.headers['x-test-header']).toBe('from-server')
    expect(result.headers['sec-websocket-protocol']).toBe('chat.v2')
    expect(request?.url).toBe('/path?q=1')
    expect(request?.headers['x-token']).toBe('abc')
    expect(request?.headers.origin).toBe('https://app.example')
  })

  it('tryUpgrade and connect report an HTTP refusal with its status, headers and body', async () => {
    const http = createServer()
    http.on('upgrade', (_req, socket: Socket) => {
      const body = JSON.stringify({ error: 'unauthorized' })
      socket.end(
        'HTTP/1.1 401 Unauthorized\r\n' +
          'Content-Type: application/json\r\n' +
          'WWW-Authenticate: Bearer realm="test"\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Connection: close\r\n\r\n' +
          body,
      )
    })
    const port = await listen(http)
    cleanups.push(() => new Promise((r) => http.close(r)))
    const url = `ws://127.0.0.1:${port}/secure`

    const result = await tryUpgrade(url)
    expect(result).toMatchObject({ ok: false, status: 401, body: '{"error":"unauthorized"}' })
    expect(!result.ok && result.headers['www-authenticate']).toBe('Bearer realm="test"')

    const error = await connect(url).then(
      () => undefined,
      (e: unknown) => e as Error & { status: number; body: string; headers: Record<string, string> },
    )
    expect(error?.message).toContain('refused with 401')
    expect(error).toMatchObject({ status: 401, body: '{"error":"unauthorized"}' })
    expect(error?.headers['content-type']).toBe('application/json')
  })

  it('still rejects tryUpgrade for network failures', async () => {
    const http = createServer()
    const port = await listen(http)
    await new Promise((r) => http.close(r)) // nothing listens there now
    await expect(tryUpgrade(`ws://127.0.0.1:${port}/`, { timeoutMs: 2000 })).rejects.toThrow(/ECONNREFUSED/)
  })

  it('times out with a descriptive error instead of hanging', async () => {
    const { url } = await wsServer()
    const client = await open(url)
    await expect(client.next(100)).rejects.toThrow(/timed out after 100 ms waiting for a message \(socket open; nothing queued\)/)
    await expect(client.waitClosed(100)).rejects.toThrow(/timed out after 100 ms waiting for the socket to close/)
    await expect(waitFor(() => false, 100, 'the impossible')).rejects.toThrow('timed out after 100 ms waiting for the impossible')

    // A server that accepts the TCP connection and never answers the handshake.
    const silent = createTcpServer((socket) => cleanups.push(() => socket.destroy()))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise((r) => silent.close(r)))
    const port = (silent.address() as { port: number }).port
    const started = Date.now()
    await expect(connect(`ws://127.0.0.1:${port}/`, { timeoutMs: 300 })).rejects.toThrow(/timed out|handshake has timed out/)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('pause() stops reading the socket until resume()', async () => {
    let server: WebSocket | undefined
    const { url } = await wsServer((ws) => (server = ws))
    const client = await open(url)
    await waitFor(() => server !== undefined, 2000, 'the server side')
    client.pause()
    server!.send('while paused')
    await sleep(200)
    expect(client.pending).toBe(0)
    client.resume()
    expect(await client.nextText(2000)).toBe('while paused')
  })

  it('answers pings unless autoPong is off', async () => {
    const pongs = new Map<string, number>()
    const { url } = await wsServer((ws, req) => {
      const name = new URL(req.url!, 'http://x').searchParams.get('name')!
      pongs.set(name, 0)
      ws.on('pong', () => pongs.set(name, pongs.get(name)! + 1))
      ws.ping()
    })
    await open(`${url}/?name=live`)
    await open(`${url}/?name=dead`, { autoPong: false })
    await waitFor(() => pongs.get('live') === 1, 2000, 'a pong from the live client')
    await sleep(200)
    expect(pongs.get('dead')).toBe(0)
  })
})
