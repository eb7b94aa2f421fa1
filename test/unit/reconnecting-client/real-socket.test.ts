import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { connect, type PortsocketClient, type WebSocketConstructor } from '../../../src/client/index.ts'

// The client over real sockets (the `ws` package, as on Node 20), against a small
// in-test server that speaks portsocket's wire protocol: acks, invalid replies, pings.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A protocol server on `port` (0 = any); echoes `say` as `said`, answers requests. */
async function protocolServer(port = 0) {
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  const received: unknown[] = []
  wss.on('connection', (ws) => {
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; data?: any; ack?: number }
      received.push(msg)
      if (msg.type === 'say') ws.send(JSON.stringify({ type: 'said', data: msg.data }))
      if (msg.type === 'add' && msg.ack !== undefined) {
        if (typeof msg.data?.a !== 'number') {
          ws.send(JSON.stringify({ type: 'portsocket:ack', ack: msg.ack, error: { message: 'invalid data', issues: [{ message: 'expected number', path: ['a'] }] } }))
        } else {
          ws.send(JSON.stringify({ type: 'portsocket:ack', ack: msg.ack, data: msg.data.a + msg.data.b }))
        }
      }
    })
  })
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve))
  const stop = async () => {
    for (const client of wss.clients) client.terminate()
    await new Promise((r) => wss.close(r))
    http.closeAllConnections()
    await new Promise((r) => http.close(r))
  }
  cleanups.push(stop)
  return { port: (http.address() as AddressInfo).port, wss, received, stop, http: http as Server }
}

function open(url: string, options: Parameters<typeof connect>[1] = {}): PortsocketClient<any> {
  const client = connect<any>(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, reconnect: { minDelay: 50, maxDelay: 200 }, ...options })
  cleanups.push(() => client.close())
  return client
}

const until = async (check: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('client over real sockets', () => {
  it('emits, receives, and gets replies and invalid-data errors to requests', async () => {
    const server = await protocolServer()
    const client = open(`ws://127.0.0.1:${server.port}/`)
    const said: string[] = []
    client.on('said', (d: { text: string }) => said.push(d.text))
    client.emit('say', { text: 'hello' }) // buffered until open
    expect(await client.request('add', { a: 2, b: 3 })).toBe(5)
    await expect(client.request('add', { a: 'x' })).rejects.toMatchObject({ reason: 'invalid', issues: [{ message: 'expected number', path: ['a'] }] })
    await until(() => said.length === 1, 'said')
    expect(said).toEqual(['hello'])
  })

  it('answers the server app-level ping with a pong', async () => {
    const server = await protocolServer()
    open(`ws://127.0.0.1:${server.port}/`)
    await until(() => server.wss.clients.size === 1, 'a connection')
    for (const ws of server.wss.clients) ws.send(JSON.stringify({ type: 'portsocket:ping' }))
    await until(() => server.received.length === 1, 'the pong')
    expect(server.received).toEqual([{ type: 'portsocket:pong' }])
  })

  it('survives a server restart on the same port: reconnects, and what was sent while down arrives once', async () => {
    const first = await protocolServer()
    const client = open(`ws://127.0.0.1:${first.port}/`)
    const states: string[] = []
    client.addEventListener('state', ({ state }) => states.push(state))
    await until(() => client.state === 'open', 'open')
    await first.stop()
    await until(() => client.state === 'reconnecting', 'reconnecting')
    expect(client.emit('say', { text: 'while down' })).toBe(true)
    await new Promise((r) => setTimeout(r, 300)) // a few refused attempts
    const second = await protocolServer(first.port)
    await until(() => client.state === 'open', 'open again')
    await until(() => second.received.length === 1, 'the buffered message')
    await new Promise((r) => setTimeout(r, 100))
    expect(second.received).toEqual([{ type: 'say', data: { text: 'while down' } }])
    expect(second.wss.clients.size).toBe(1)
    expect(states).toEqual(['open', 'reconnecting', 'open'])
  })

  it('heartbeat: pongs the server pings, and reconnects when a silent server stops pinging', async () => {
    const server = await protocolServer()
    let connections = 0
    server.wss.on('connection', (ws) => {
      const n = ++connections
      // The first connection pings three times, then goes silent with TCP still open (a dead peer).
      let pings = 0
      const timer = setInterval(() => {
        if (n === 1 && ++pings > 3) return
        ws.send(JSON.stringify({ type: 'portsocket:ping' }))
      }, 100)
      ws.on('close', () => clearInterval(timer))
    })
    const client = open(`ws://127.0.0.1:${server.port}/`, { heartbeat: { timeout: 1000 } })
    await until(() => connections === 2, 'a second connection after the heartbeat timeout')
    expect(client.lastClose).toEqual({ code: 1006, reason: 'heartbeat timeout' })
    expect(server.received.filter((m) => (m as { type: string }).type === 'portsocket:pong').length).toBeGreaterThanOrEqual(3)
    await until(() => client.state === 'open', 'open again')
    await new Promise((r) => setTimeout(r, 1500)) // pings keep the new connection alive past the timeout
    expect(client.state).toBe('open')
    expect(connections).toBe(2)
  })

  it('a refused upgrade (HTTP 401) is retried with backoff; close() ends it without an unhandled error', async () => {
    const http = createServer((_req, res) => res.writeHead(401).end())
    http.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n'))
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((r) => http.close(r)))
    const client = open(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`)
    const closes: number[] = []
    client.addEventListener('close', ({ code }) => closes.push(code))
    await until(() => closes.length >= 2, 'two refused attempts')
    expect(client.state).toBe('connecting')
    client.close()
    expect(client.state).toBe('closed')
  })
})
