import { describe, expect, it } from 'vitest'
import { connect, tryUpgrade } from '../support/client.ts'
import { baseUrl, wsUrl } from '../support/env.ts'
import { rawHandshake } from '../support/handshake.ts'

describe('routing and middleware', () => {
  it('routes inside app.route() groups with path params and query, with data from middleware', async () => {
    const client = await connect(wsUrl('/v1/secure/rooms/lobby?token=good&name=bob'))
    expect(await client.nextJson()).toEqual({ type: 'welcome', room: 'lobby', name: 'bob', user: 'alice' })
    client.close()
  })

  it('routes under basePath', async () => {
    const client = await connect(wsUrl('/base/ws/42'))
    expect(await client.nextText()).toBe('id:/base/ws/42')
    client.close()
  })

  it('a middleware 401 answers before any 101, with its headers and body', async () => {
    const res = await rawHandshake(wsUrl('/v1/secure/rooms/lobby?token=bad'))
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="portsocket"')
    expect(JSON.parse(res.body)).toEqual({ error: 'unauthorized' })
  })

  it('a middleware 403 answers with its own headers and body', async () => {
    const res = await rawHandshake(wsUrl('/v1/secure/rooms/lobby?token=forbidden'))
    expect(res.status).toBe(403)
    expect(res.headers['x-reject-reason']).toBe('revoked')
    expect(res.body).toBe('forbidden: token revoked')
  })

  it('headers middleware sets before and after next() reach the 101', async () => {
    const res = await rawHandshake(wsUrl('/v1/secure/rooms/lobby?token=good'))
    expect(res.status).toBe(101)
    expect(res.headers['x-auth-user']).toBe('alice')
    expect(res.headers['x-after-upgrade']).toBe('yes')
    expect(res.headers['x-portsocket-upgrade']).toBeUndefined()
  })

  it('a response middleware rebuilt from the upgrade (c.res read before next()) still upgrades, with its headers', async () => {
    const res = await rawHandshake(wsUrl('/v1/secure/rooms/lobby?token=good&touch=before'))
    expect(res.status).toBe(101)
    expect(res.headers['x-touched']).toBe('before')
    expect(res.headers['x-after-upgrade']).toBe('yes')
  })

  it('a response middleware sets after next() replaces the upgrade: the client gets it, not a 101', async () => {
    const res = await rawHandshake(wsUrl('/v1/secure/rooms/lobby?token=good&replace=after'))
    expect(res.status).toBe(409)
    expect(res.body).toBe('replaced after the handler')
  })

  it('a plain GET to a WebSocket route gets 426 Upgrade Required', async () => {
    const res = await fetch(`${baseUrl}/ws/echo`)
    expect(res.status).toBe(426)
    expect(await res.text()).toBe('expected a WebSocket upgrade request')
  })

  it('an unknown path is a 404, not an upgrade', async () => {
    const res = await rawHandshake(wsUrl('/ws/nowhere'))
    expect(res.status).toBe(404)
  })
})

describe('origin check', () => {
  it('refuses a disallowed Origin with 403 before the upgrade', async () => {
    const res = await rawHandshake(wsUrl('/ws/origin'), { origin: 'https://evil.example' })
    expect(res.status).toBe(403)
    expect(res.body).toContain('https://evil.example')
  })

  it('accepts an allowed Origin', async () => {
    const res = await rawHandshake(wsUrl('/ws/origin'), { origin: 'https://good.example' })
    expect(res.status).toBe(101)
  })

  it('accepts a request without Origin (not a browser)', async () => {
    const client = await connect(wsUrl('/ws/origin'))
    client.send('hi')
    expect(await client.nextText()).toBe('hi')
    client.close()
  })
})

describe('subprotocols', () => {
  it("echoes the server's preferred protocol among those offered", async () => {
    const client = await connect(wsUrl('/ws/proto'), { protocols: ['chat.v1', 'chat.v2'] })
    expect(client.protocol).toBe('chat.v2')
    expect(await client.nextText()).toBe('protocol:chat.v2')
    client.close()
  })

  it('picks the one supported protocol out of a longer offer', async () => {
    const res = await rawHandshake(wsUrl('/ws/proto'), { 'sec-websocket-protocol': 'x, y,chat.v1' })
    expect(res.status).toBe(101)
    expect(res.headers['sec-websocket-protocol']).toBe('chat.v1')
  })

  it('selects with a function', async () => {
    const res = await rawHandshake(wsUrl('/ws/proto-fn'), { 'sec-websocket-protocol': 'a, v3, v2' })
    expect(res.status).toBe(101)
    expect(res.headers['sec-websocket-protocol']).toBe('v3')
  })

  it('refuses an offer with nothing acceptable with 400 and says why', async () => {
    const res = await rawHandshake(wsUrl('/ws/proto'), { 'sec-websocket-protocol': 'x, y' })
    expect(res.status).toBe(400)
    expect(res.body).toContain('no acceptable subprotocol')
    expect(res.headers['sec-websocket-protocol']).toBeUndefined()
  })

  it('accepts without a protocol when the route allows it', async () => {
    const res = await rawHandshake(wsUrl('/ws/proto-lenient'), { 'sec-websocket-protocol': 'x' })
    expect(res.status).toBe(101)
    expect(res.headers['sec-websocket-protocol']).toBeUndefined()
  })

  it('never echoes a protocol the server did not choose', async () => {
    const res = await rawHandshake(wsUrl('/ws/echo'), { 'sec-websocket-protocol': 'unasked, other' })
    expect(res.status).toBe(101)
    expect(res.headers['sec-websocket-protocol']).toBeUndefined()
  })

  it('accepts a client that offers no protocol', async () => {
    const client = await connect(wsUrl('/ws/proto'))
    expect(client.protocol).toBe('')
    expect(await client.nextText()).toBe('protocol:')
    client.close()
  })
})
