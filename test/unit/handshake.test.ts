import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { checkOrigin, selectProtocol } from '../../src/http/handshake.ts'
import { resolveOptions, type SocketOptions } from '../../src/http/options.ts'

async function choose(options: SocketOptions, offer?: string, origin?: string) {
  const app = new Hono()
  app.get('/', (c) => {
    const resolved = resolveOptions(options)
    checkOrigin(c, resolved)
    return c.text(selectProtocol(c, resolved) ?? '(none)')
  })
  const headers: Record<string, string> = {}
  if (offer !== undefined) headers['sec-websocket-protocol'] = offer
  if (origin !== undefined) headers.origin = origin
  const res = await app.request('/', { headers })
  return { status: res.status, body: await res.text() }
}

describe('selectProtocol', () => {
  it("takes the server's most preferred protocol the client offered", async () => {
    expect(await choose({ protocols: ['b', 'a'] }, 'a, b')).toEqual({ status: 200, body: 'b' })
    expect(await choose({ protocols: ['b', 'a'] }, 'x,a')).toEqual({ status: 200, body: 'a' })
  })

  it('chooses nothing without a server list or without an offer', async () => {
    expect(await choose({}, 'a')).toEqual({ status: 200, body: '(none)' })
    expect(await choose({ protocols: ['a'] })).toEqual({ status: 200, body: '(none)' })
  })

  it('answers 400 when nothing offered fits, unless acceptWithoutProtocol', async () => {
    const refused = await choose({ protocols: ['a'] }, 'x, y')
    expect(refused.status).toBe(400)
    expect(refused.body).toBe('no acceptable subprotocol in offer: x, y (supported: a)')
    expect(await choose({ protocols: ['a'], acceptWithoutProtocol: true }, 'x')).toEqual({ status: 200, body: '(none)' })
  })

  it('never returns what a selector picks outside the offer', async () => {
    expect((await choose({ protocols: () => 'sneaky' }, 'a')).status).toBe(400)
    expect(await choose({ protocols: (offered) => offered[1] }, 'a, b')).toEqual({ status: 200, body: 'b' })
  })
})

describe('checkOrigin', () => {
  it('allows listed origins and requests without Origin, refuses others with 403', async () => {
    const options = { allowedOrigins: ['https://a.example'] }
    expect((await choose(options, undefined, 'https://a.example')).status).toBe(200)
    expect((await choose(options)).status).toBe(200)
    expect((await choose(options, undefined, 'https://b.example')).status).toBe(403)
  })

  it('takes a predicate', async () => {
    const options = { allowedOrigins: (origin: string) => origin.endsWith('.trusted.example') }
    expect((await choose(options, undefined, 'https://x.trusted.example')).status).toBe(200)
    expect((await choose(options, undefined, 'https://trusted.example.evil')).status).toBe(403)
  })
})

describe('resolveOptions', () => {
  it('refuses nonsense limits at startup with a clear error', () => {
    expect(() => resolveOptions({ maxMessageSize: 0 })).toThrow('maxMessageSize must be a positive number, got 0')
    expect(() => resolveOptions({ rateLimit: { burst: 0, perSecond: 1 } })).toThrow('rateLimit needs burst >= 1 and perSecond > 0')
  })
})
