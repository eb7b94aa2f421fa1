/**
 * Server-initiated closes while the client is still sending (the moment a rate limit or
 * size limit fires), and admin closes of sockets that never spoke: the client must get the
 * close code and every reply sent before it, promptly, on every runtime.
 */
import { describe, expect, it } from 'vitest'
import { connect, waitFor, type TestClient } from '../support/client.ts'
import { baseUrl, can, wsUrl } from '../support/env.ts'
import { newTag, waitForLog } from '../support/fixture-log.ts'
import { openRaw } from '../support/raw-frames.ts'

/** Every text message the client received before it closed, in order. */
async function drain(client: TestClient): Promise<string[]> {
  const received: string[] = []
  while (client.pending > 0) received.push(await client.nextText())
  return received
}

describe('a server close while the client floods', () => {
  for (const count of [10, 20, 200]) {
    it(`rate limit: ${count} messages back to back get 1008 and the 5 replies before it, every time`, async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const tag = newTag()
        const client = await connect(wsUrl(`/ws/rate?tag=${tag}`))
        for (let i = 0; i < count; i++) client.send(`m${i}`)
        expect(await client.waitClosed()).toEqual({ code: 1008, reason: 'rate limit exceeded' })
        expect(await drain(client)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
        expect(await waitForLog(baseUrl, tag, (e) => e.event === 'close')).toMatchObject({ code: 1008, in: 5 })
      }
    })
  }

  it('message too big, followed by more messages: 1009 and the replies before it', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const client = await connect(wsUrl('/ws/small'))
      for (let i = 0; i < 3; i++) client.send(`ok${i}`)
      client.send('x'.repeat(2048))
      for (let i = 0; i < 20; i++) client.send(`after${i}`)
      expect(await client.waitClosed()).toEqual({ code: 1009, reason: 'message too big' })
      expect(await drain(client)).toEqual(['ok0', 'ok1', 'ok2'])
    }
  })

  it('an application close while the client floods: its code and the replies before it', async () => {
    const client = await connect(wsUrl('/ws/control'))
    client.send('one')
    client.send('close:4002:enough')
    for (let i = 0; i < 50; i++) client.send(`after${i}`)
    expect(await client.waitClosed()).toEqual({ code: 4002, reason: 'enough' })
    expect(await drain(client)).toEqual(['ok:one'])
  })
})

describe('admin disconnect', () => {
  /** The registry id of the one connection whose URL carries `marker`. */
  async function idOf(marker: string): Promise<string> {
    const list = (await (await fetch(`${baseUrl}/api/edges/connections`)).json()) as { id: string; url: string }[]
    const found = list.find((c) => c.url.includes(marker))
    if (!found) throw new Error(`no connection with ${marker} in the registry`)
    return found.id
  }

  it('of a socket that never sent a message completes its close promptly', async () => {
    const marker = `never-spoke-${newTag()}`
    const client = await connect(wsUrl(`/ws/echo?name=${marker}`))
    const res = await fetch(`${baseUrl}/api/connections/${await idOf(marker)}?code=4001&reason=kicked`, { method: 'DELETE' })
    expect(res.status).toBe(204)
    // The close event fires once the TCP connection has ended: well within the 5 s close timeout.
    expect(await client.waitClosed(3000)).toEqual({ code: 4001, reason: 'kicked' })
  })

  it('of a hibernatable socket that never sent a message: the close frame at once, the connection ended', async () => {
    const marker = `never-spoke-${newTag()}`
    const conn = await openRaw(wsUrl(`/ws/rooms?name=${marker}`))
    const started = Date.now()
    await fetch(`${baseUrl}/api/connections/${await idOf(marker)}?code=4001&reason=kicked`, { method: 'DELETE' })
    await waitFor(() => conn.closeFrame !== undefined, 3000, 'the close frame')
    expect(conn.closeFrame).toEqual({ code: 4001, reason: 'kicked' })
    // Documented (README, "Close timing"): workerd keeps such a connection until the
    // Durable Object hibernates, ~10 s; everywhere else it ends at once.
    const ending = await conn.ending(can.promptSilentClose ? 3000 : 20_000)
    expect(ending.how).toBe('end')
    if (!can.promptSilentClose) expect(Date.now() - started).toBeGreaterThan(5000)
  }, 30_000)

  it('of many silent sockets at once: each completes promptly', async () => {
    const marker = `silent-${newTag()}`
    const clients = await Promise.all(Array.from({ length: 5 }, (_, i) => connect(wsUrl(`/ws/echo?name=${marker}-${i}`))))
    const list = (await (await fetch(`${baseUrl}/api/edges/connections`)).json()) as { id: string; url: string }[]
    const ids = list.filter((c) => c.url.includes(marker)).map((c) => c.id)
    expect(ids).toHaveLength(5)
    await Promise.all(ids.map((id) => fetch(`${baseUrl}/api/connections/${id}?code=4003&reason=bye`, { method: 'DELETE' })))
    for (const client of clients) expect(await client.waitClosed(3000)).toEqual({ code: 4003, reason: 'bye' })
  })
})
