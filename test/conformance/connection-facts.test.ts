/**
 * What a socket says about its own connection: `socket.url` in the browser WebSocket's
 * shape (ws://, or wss:// behind TLS) and `socket.remoteAddress`, read during the request
 * on every runtime, also in the registry's connection info.
 *
 * The plumbing for both lands with the connection core rewrite (issue 7); these cases are
 * the acceptance test for it, run on all four runtimes.
 */
import { describe, expect, it } from 'vitest'
import { connect } from '../support/client.ts'
import { baseUrl, runtime, wsUrl } from '../support/env.ts'
import { newTag } from '../support/fixture-log.ts'
import { handshakeRequest, RawConnection, sendHandshake } from '../support/raw-frames.ts'

interface Facts {
  url: string
  extensions: string
  remoteAddress: string | null
}

describe('connection facts', () => {
  it('socket.url is the ws:// URL the client connected to, query included', async () => {
    const path = `/ws/edges/facts?tag=${newTag()}&x=1`
    const client = await connect(wsUrl(path))
    const facts = await client.nextJson<Facts>()
    expect(facts.url).toBe(wsUrl(path))
    client.close()
  })

  it("socket.remoteAddress is the client's address", async () => {
    const client = await connect(wsUrl('/ws/edges/facts'))
    const facts = await client.nextJson<Facts>()
    expect(facts.remoteAddress).toBe('127.0.0.1')
    client.close()
  })

  it("the registry's connection info carries the address and the ws:// URL", async () => {
    const marker = `facts-${newTag()}`
    const client = await connect(wsUrl(`/ws/echo?name=${marker}`))
    const list = (await (await fetch(`${baseUrl}/api/edges/connections`)).json()) as { id: string; url: string; remoteAddress?: string }[]
    const info = list.find((c) => c.url.includes(marker))
    expect(info).toMatchObject({ url: wsUrl(`/ws/echo?name=${marker}`), remoteAddress: '127.0.0.1' })
    client.close()
  })
})

describe("the upgrade's request in middleware", () => {
  // Each target written raw (a client library would tidy it and the Host before sending),
  // with the URL a full Request spells it with (the URL parser's form: host in lower case,
  // dot segments gone, `"` escaped) and Hono's c.req.path (that path, percent-decoded).
  // Deno hands a server request's URL on as the client wrote it (checked on Deno 2.9.5
  // with a bare Deno.serve): the same URL once parsed, and Hono routes the raw path.
  const cases = [
    { target: '/ws/edges/request/a/./b/../c?q=1', host: 'localhost', url: '/ws/edges/request/a/c?q=1', path: '/ws/edges/request/a/c' },
    { target: '/ws/edges/request/x?q=1', host: 'LocalHost', url: '/ws/edges/request/x?q=1', path: '/ws/edges/request/x' },
    { target: '/ws/edges/request/c%41d"e?q=%20x', host: 'localhost', url: '/ws/edges/request/c%41d%22e?q=%20x', path: '/ws/edges/request/cAd"e' },
  ]
  it.each(cases)('is a web Request that can be copied, cloned and read: $target (Host $host)', async ({ target, host, url, path }) => {
    const base = wsUrl('/ws/edges/request/x')
    const port = new URL(base).port
    const request = handshakeRequest(base, { host: `${host}:${port}`, 'x-probe': 'p1' }).replace('GET /ws/edges/request/x ', `GET ${target} `)
    const { socket, answer } = await sendHandshake(base, request)
    expect(answer.status).toBe(101)
    const raw = new RawConnection(socket, answer)
    const facts = JSON.parse(await raw.nextText())
    const expected = `http://localhost:${port}${url}`
    const seen = runtime === 'deno' ? `http://${host}:${port}${target}` : expected
    expect(facts).toEqual({
      url: seen,
      copyUrl: seen,
      cloneUrl: seen,
      path: runtime === 'deno' ? decodeURI(target.split('?')[0]!) : path,
      method: 'GET',
      isRequest: true,
      aborted: false,
      copied: 'p1',
      probes: ['p1'],
      body: '',
    })
    expect(new URL(facts.url).href).toBe(expected)
    raw.destroy()
  })
})
