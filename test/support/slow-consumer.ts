import { expect } from 'vitest'
import { connect } from './client.ts'
import { baseUrl, can, wsUrl } from './env.ts'
import { newTag, waitForLog } from './fixture-log.ts'

/**
 * A client that stops reading while `path` floods it with 64 KiB chunks (`flood:N`, see
 * the fixture's flood routes). Where the send buffer is visible the cap must close it
 * with 1013 before the flood ends; where it is not (workerd, per the capability table)
 * the flood is sent whole, in order, and the socket stays open.
 */
export async function expectSlowConsumerOutcome(path: string): Promise<void> {
  const tag = newTag()
  const client = await connect(wsUrl(`${path}?tag=${tag}`))
  client.pause()
  if (!can.sendBufferVisible) {
    client.send('flood:40') // 2.5 MB through a 1 MiB cap
    const done = await waitForLog(baseUrl, tag, (e) => e.event === 'flood-done', 15_000)
    expect(done).toMatchObject({ sent: 40, readyState: 1 })
    client.resume()
    let chunks = 0
    for (;;) {
      const msg = await client.next(15_000)
      if (!msg.isBinary) {
        expect(msg.data.toString()).toBe('done:40')
        break
      }
      chunks++
    }
    expect(chunks).toBe(40)
    client.close()
    return
  }
  client.send('flood:1000') // 64 MB, far past the 1 MiB cap plus the kernel's buffers
  const done = await waitForLog(baseUrl, tag, (e) => e.event === 'flood-done', 15_000)
  expect(done.sent).toBeLessThan(1000)
  expect(done.readyState).toBeGreaterThanOrEqual(2)
  client.resume()
  expect(await client.waitClosed(15_000)).toEqual({ code: 1013, reason: 'slow consumer: send buffer full' })
}
