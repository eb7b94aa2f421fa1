/**
 * The web Request a Node upgrade is routed with (adapters/node/request.ts): the URL it
 * is given and the lightweight request it is.
 */
import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { lightweightUpgradeRequests, upgradeRequest, upgradeUrl } from '../../adapters/node/request.ts'

function incoming(url: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  const rawHeaders = Object.entries(headers).flat()
  return { method: 'GET', url, headers, rawHeaders, socket: { encrypted } } as unknown as IncomingMessage
}

describe('the upgrade URL', () => {
  it.each([
    ['/chat?room=a', 'localhost:3000', false, 'http://localhost:3000/chat?room=a'],
    ['/chat', 'example.com', true, 'https://example.com/chat'],
    ['/chat', 'Example.COM:3000', false, 'http://example.com:3000/chat'],
    ['/chat', 'example.com:80', false, 'http://example.com/chat'],
    ['/chat', 'example.com:443', true, 'https://example.com/chat'],
    ['/a/./b/../chat', 'example.com', false, 'http://example.com/a/chat'],
    ['/a%2fb/%7e?x=%20', 'example.com', false, 'http://example.com/a%2fb/%7e?x=%20'],
    ['/a b', 'example.com', false, 'http://example.com/a%20b'],
    ['/q?a\\b', 'example.com', false, 'http://example.com/q?a\\b'],
    ['/chat', '[::1]:3000', false, 'http://[::1]:3000/chat'],
    ['http://Other.example/x', 'ignored', false, 'http://other.example/x'],
  ])('%s with Host %s (tls %s) is %s, as the URL parser spells it', (target, host, tls, expected) => {
    const url = upgradeUrl(incoming(target, { host }, tls))
    expect(url).toBe(expected)
    expect(new URL(url).href).toBe(url)
  })

  it('is localhost without a Host header', () => {
    expect(upgradeUrl(incoming('/chat'))).toBe('http://localhost/chat')
  })

  it.each([
    ['/a\\b', 'example.com', /backslash/],
    ['chat', 'example.com', /origin-form/],
    ['/chat', 'user@example.com', /invalid host/],
    ['/chat', 'example.com/path', /invalid host/],
    ['/chat', 'example.com?x', /invalid host/],
  ])('refuses %s with Host %s (the adapter answers 400)', (target, host, error) => {
    expect(() => upgradeUrl(incoming(target, { host }))).toThrow(error)
  })
})

describe('the upgrade request', () => {
  // If this fails after updating @hono/node-server, its lightweight request changed shape:
  // upgrades still work, with a full undici Request each (slower; see request.ts).
  it("is @hono/node-server's lightweight request with the locked version", () => {
    expect(lightweightUpgradeRequests()).toBe(true)
    const request = upgradeRequest(incoming('/chat?x=1', { host: 'example.com', 'x-a': '1' }))
    // (Compared, not handed to expect: reading the prototype's getters would break it.)
    expect(Object.getPrototypeOf(request) === Request.prototype).toBe(false)
    expect(request).toBeInstanceOf(Request)
  })

  it('reads as the full Request would, and becomes one on demand', async () => {
    const request = upgradeRequest(incoming('/chat?x=1', { host: 'example.com', 'x-a': '1', upgrade: 'websocket' }))
    expect(request.method).toBe('GET')
    expect(request.url).toBe('http://example.com/chat?x=1')
    expect(request.headers.get('x-a')).toBe('1')
    expect([...request.headers.keys()]).toEqual(['host', 'upgrade', 'x-a'])
    const copy = new Request(request)
    expect(copy.url).toBe(request.url)
    expect(copy.headers.get('upgrade')).toBe('websocket')
    expect(request.signal.aborted).toBe(false)
    expect(await request.text()).toBe('')
  })
})
