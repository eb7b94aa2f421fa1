/**
 * Many connections at once lose nothing: 300 concurrent connections, each sending 100
 * messages back to back, each getting all 100 echoes, in order.
 */
import { expect, it } from 'vitest'
import { connect, type TestClient } from '../support/client.ts'
import { wsUrl } from '../support/env.ts'

const CONNECTIONS = 300
const ECHOES = 100

it(`${CONNECTIONS} concurrent connections × ${ECHOES} echoes: every message comes back, in order`, async () => {
  const clients: TestClient[] = []
  // Opened in waves, so the handshakes do not all race on 2 cores; all stay open together.
  for (let i = 0; i < CONNECTIONS; i += 50) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(50, CONNECTIONS - i) }, () => connect(wsUrl('/ws/echo'), { timeoutMs: 30_000 })))))
  }
  const results = await Promise.all(
    clients.map(async (client, c) => {
      for (let m = 0; m < ECHOES; m++) client.send(`${c}:${m}`)
      const received: string[] = []
      for (let m = 0; m < ECHOES; m++) received.push(await client.nextText(60_000))
      return received
    }),
  )
  results.forEach((received, c) => expect(received).toEqual(Array.from({ length: ECHOES }, (_, m) => `${c}:${m}`)))
  for (const client of clients) expect(client.isOpen).toBe(true)
  for (const client of clients) client.close()
  await Promise.all(clients.map((client) => client.waitClosed(15_000)))
}, 120_000)
