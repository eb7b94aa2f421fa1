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
import { baseUrl, wsUrl } from '../support/env.ts'
import { newTag } from '../support/fixture-log.ts'

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
