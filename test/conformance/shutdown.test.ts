import { describe, expect, it } from 'vitest'
import { connect } from '../support/client.ts'
import { can, runtime } from '../support/env.ts'
import { startFixture } from '../support/runtimes.ts'

describe('shutdown', () => {
  it.skipIf(!can.serverShutdown)('closing the server closes every socket with 1001 and waits for them', async () => {
    // A fixture of its own: this test ends its process.
    const fixture = await startFixture(runtime)
    try {
      const a = await connect(fixture.wsUrl('/ws/echo'))
      const b = await connect(fixture.wsUrl('/ws/echo'))
      a.send('before')
      expect(await a.nextText()).toBe('before')
      const exited = new Promise<number | null>((resolve) => fixture.process.once('exit', (code) => resolve(code)))
      fixture.process.kill('SIGTERM')
      expect(await a.waitClosed()).toEqual({ code: 1001, reason: 'server shutting down' })
      expect(await b.waitClosed()).toEqual({ code: 1001, reason: 'server shutting down' })
      expect(await exited).toBe(0)
      expect(fixture.output()).toContain('shutdown complete: closed 2 sockets')
    } finally {
      await fixture.stop()
    }
  })
})
