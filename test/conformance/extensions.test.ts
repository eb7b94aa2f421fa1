/**
 * `socket.extensions` is what the client was told in the 101's Sec-WebSocket-Extensions,
 * on every runtime, for a client that offers permessage-deflate (the `ws` client does):
 * off by default where the runtime lets the server choose (Node, Bun, Deno), negotiated
 * by workerd itself; with `serve(app, { perMessageDeflate: true })` on Node and Bun.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { runtime, wsUrl } from '../support/env.ts'
import { startFixture, type Fixture } from '../support/runtimes.ts'

interface Seen {
  header: string
  clientExtensions: string
  serverExtensions: string
}

/** Connects offering permessage-deflate; reports the 101 header and what both ends say. */
async function offerDeflate(url: string): Promise<Seen> {
  const ws = new WebSocket(url, { perMessageDeflate: true })
  let header = ''
  ws.on('upgrade', (res) => (header = String(res.headers['sec-websocket-extensions'] ?? '')))
  const first = await new Promise<string>((resolve, reject) => {
    ws.once('message', (data) => resolve(String(data)))
    ws.once('error', reject)
  })
  const seen = { header, clientExtensions: ws.extensions, serverExtensions: (JSON.parse(first) as { extensions: string }).extensions }
  // A large, repetitive message both ways: compressed where negotiated, intact either way.
  const big = 'portsocket '.repeat(20_000)
  const echo = new WebSocket(url.replace('/ws/edges/facts', '/ws/echo'), { perMessageDeflate: true })
  await new Promise((resolve, reject) => {
    echo.once('open', resolve)
    echo.once('error', reject)
  })
  echo.send(big)
  const back = await new Promise<string>((resolve) => echo.once('message', (data) => resolve(String(data))))
  expect(back).toBe(big)
  echo.close()
  ws.close()
  return seen
}

describe('permessage-deflate and socket.extensions', () => {
  it('socket.extensions matches the 101 response on the default server', async () => {
    const seen = await offerDeflate(wsUrl('/ws/edges/facts'))
    expect(seen.serverExtensions).toBe(seen.header)
    if (runtime === 'workerd') {
      // workerd negotiates whenever the client offers; portsocket answers the offer itself.
      expect(seen.header).toMatch(/^permessage-deflate/)
      expect(seen.clientExtensions).toBe('permessage-deflate')
    } else {
      expect(seen.header).toBe('') // off by default
      expect(seen.clientExtensions).toBe('')
    }
  })

  describe('with serve(app, { perMessageDeflate: true })', () => {
    let fixture: Fixture | undefined
    beforeAll(async () => {
      // workerd has no serve(): the Worker's compression is workerd's (above).
      if (runtime !== 'workerd') fixture = await startFixture(runtime, { env: { PORTSOCKET_DEFLATE: '1' } })
    })
    afterAll(async () => {
      await fixture?.stop()
    })

    it('Node and Bun negotiate it and report it; Deno cannot (it never negotiates compression)', async () => {
      const url = fixture ? fixture.wsUrl('/ws/edges/facts') : wsUrl('/ws/edges/facts')
      const seen = await offerDeflate(url)
      expect(seen.serverExtensions).toBe(seen.header)
      if (runtime === 'deno') {
        expect(seen.header).toBe('')
      } else {
        expect(seen.header).toMatch(/^permessage-deflate/)
        expect(seen.clientExtensions).toBe('permessage-deflate')
      }
    })
  })
})
