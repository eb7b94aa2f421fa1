import { describe, expect, it } from 'vitest'
import { connect } from '../support/client.ts'
import { baseUrl, can, wsUrl } from '../support/env.ts'
import { newTag, waitForLog } from '../support/fixture-log.ts'

// The slow-consumer cap on the fan-out path: a room send reaches a member through the
// runtime's fast path (Bun's native publish, Node's frame-once), which checks send
// buffers its own way; a member that stops reading must still be closed with 1013.
describe('slow consumer on a room send', () => {
  it('closes a room member whose send buffer passes the cap with 1013 (workerd: no visible buffer, no cap)', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/perf/flood-room?tag=${tag}`))
    client.pause()
    if (!can.sendBufferVisible) {
      // The capability table: workerd keeps its send queue to itself, so the flood is sent whole.
      client.send('flood:40')
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
    const closed = await client.waitClosed(15_000)
    expect(closed).toEqual({ code: 1013, reason: 'slow consumer: send buffer full' })
  })
})
