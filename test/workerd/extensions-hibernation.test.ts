import { expect, it } from 'vitest'
import WebSocket from 'ws'
import { TestClient } from '../support/client.ts'
import { baseUrl, sleep, wsUrl } from '../support/env.ts'
import { newTag } from '../support/fixture-log.ts'

// The permessage-deflate answer portsocket gave at the upgrade is saved with the socket:
// after the Durable Object was evicted and revived, socket.extensions is still the truth.
it('socket.extensions survives the Durable Object being evicted', async () => {
  const q = `object=deflate-${newTag()}`
  const ws = new WebSocket(wsUrl(`/ws/edges/facts-hibernatable?${q}`), { perMessageDeflate: true })
  let header = ''
  ws.on('upgrade', (res) => (header = String(res.headers['sec-websocket-extensions'] ?? '')))
  const client = new TestClient(ws)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  expect(header).toMatch(/^permessage-deflate/)
  client.emit('facts')
  expect((await client.nextEvent<{ extensions: string }>('facts')).extensions).toBe(header)
  const instance = async () => ((await (await fetch(`${baseUrl}/api/instance?${q}`)).json()) as { instanceId: string }).instanceId
  const before = await instance()

  await sleep(15_000)

  client.emit('facts') // wakes the object; the socket is revived from its attachment
  expect((await client.nextEvent<{ extensions: string }>('facts', 10_000)).extensions).toBe(header)
  expect(await instance()).not.toBe(before) // it really was evicted
  client.close()
}, 40_000)
