import { describe, expect, it } from 'vitest'
import { connect } from '../support/client.ts'
import { baseUrl, can, runtime, sleep, wsUrl } from '../support/env.ts'
import { newTag, readLog, waitForLog } from '../support/fixture-log.ts'
import { expectSlowConsumerOutcome } from '../support/slow-consumer.ts'

const MiB = 1024 * 1024

describe('message size limit', () => {
  it('closes with 1009 on a message over the route limit, and the handler never sees it', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/small?tag=${tag}`))
    client.send('x'.repeat(1024))
    expect(await client.nextText()).toHaveLength(1024)
    client.send('x'.repeat(1025))
    expect((await client.waitClosed()).code).toBe(1009)
    await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    const messages = (await readLog(baseUrl, tag)).filter((e) => e.event === 'message')
    expect(messages.map((m) => m.size)).toEqual([1024])
  })

  it('counts text in UTF-8 bytes, not characters', async () => {
    const client = await connect(wsUrl('/ws/small'))
    client.send('é'.repeat(513)) // 1026 bytes, 513 characters
    expect((await client.waitClosed()).code).toBe(1009)
  })

  it('applies the same limit to binary messages', async () => {
    const client = await connect(wsUrl('/ws/small'))
    client.send(new Uint8Array(1025))
    expect((await client.waitClosed()).code).toBe(1009)
  })

  it('defaults to 1 MiB', async () => {
    const client = await connect(wsUrl('/ws/echo'))
    client.send(new Uint8Array(MiB).fill(1))
    const echoed = await client.next(15_000)
    expect((echoed.data as Buffer).byteLength).toBe(MiB)
    client.send(new Uint8Array(MiB + 1))
    expect((await client.waitClosed(15_000)).code).toBe(1009)
  })
})

describe('rate limit', () => {
  it('closes a connection over its rate with 1008, leaving others alone', async () => {
    const tag = newTag()
    const other = await connect(wsUrl('/ws/rate'))
    const client = await connect(wsUrl(`/ws/rate?tag=${tag}`))
    // One past the burst (floods are in close-under-load.test.ts).
    for (let i = 0; i < 6; i++) client.send(`m${i}`)
    const received: string[] = []
    const closed = await client.waitClosed()
    expect(closed).toEqual({ code: 1008, reason: 'rate limit exceeded' })
    while (client.pending > 0) received.push(await client.nextText())
    expect(received).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    const log = await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    expect(log).toMatchObject({ code: 1008, in: 5 })
    other.send('fine')
    expect(await other.nextText()).toBe('fine')
    other.close()
  })

  it('with onExceeded "drop" discards the excess, reports it, and keeps the socket open', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/rate-drop?tag=${tag}`))
    for (let i = 0; i < 8; i++) client.send(`m${i}`)
    for (let i = 0; i < 5; i++) expect(await client.nextText()).toBe(`m${i}`)
    const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
    expect(error.name).toBe('RateLimitError')
    await sleep(1100) // one token back
    client.send('later')
    expect(await client.nextText()).toBe('later')
    expect(client.isOpen).toBe(true)
    client.close()
  })
})

describe('liveness', () => {
  it('drops a peer that stops answering pings within two intervals (workerd: cannot tell, and keeps it)', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/heartbeat?tag=${tag}`), { autoPong: false })
    if (!can.deadPeerDetection) {
      // The capability table: workerd answers pings itself and shows the Worker none, so a
      // silent peer cannot be told from a dead one and stays connected.
      await sleep(3500)
      expect(client.isOpen).toBe(true)
      client.close()
      return
    }
    const started = Date.now()
    await client.waitClosed(8000)
    expect(Date.now() - started).toBeLessThan(8000)
    await waitForLog(baseUrl, tag, (e) => e.event === 'close')
  })

  it('keeps a silent peer that answers pings', async () => {
    const client = await connect(wsUrl('/ws/heartbeat'))
    await sleep(3500)
    expect(client.isOpen).toBe(true)
    client.send('still')
    expect(await client.nextText()).toBe('still')
    client.close()
  })

  it('closes an idle connection with 1001 "idle timeout", and messages keep it open', async () => {
    const client = await connect(wsUrl('/ws/idle'))
    for (let i = 0; i < 5; i++) {
      client.send(`tick${i}`)
      expect(await client.nextText()).toBe(`tick${i}`)
      await sleep(250)
    }
    expect(client.isOpen).toBe(true)
    expect(await client.waitClosed(5000)).toEqual({ code: 1001, reason: 'idle timeout' })
  })
})

describe('backpressure', () => {
  it('closes a slow consumer with 1013 once its send buffer passes the cap (workerd: no visible buffer, no cap)', async () => {
    await expectSlowConsumerOutcome('/ws/flood')
  })

  it('drained() lets a sender keep pace with a slow reader without being cut off', async () => {
    const client = await connect(wsUrl('/ws/flood'))
    client.pause()
    client.send('paced:200') // 12.8 MB through a 1 MiB cap
    await sleep(300)
    client.resume()
    let chunks = 0
    for (;;) {
      const msg = await client.next(15_000)
      if (!msg.isBinary) {
        expect(msg.data.toString()).toBe('done:200')
        break
      }
      chunks++
    }
    expect(chunks).toBe(200)
    client.close()
  })

})
