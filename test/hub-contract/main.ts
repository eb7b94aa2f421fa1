// Serves an app with the CountingHub on Node, drives it with a real client, and prints
// what the hub saw as JSON.
import { Hono } from 'hono'
import { websocket } from 'portsocket'
import { serve } from 'portsocket/node'
import WebSocket from 'ws'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { CountingHub } from './counting-hub.js'

// A Standard Schema for { text: string }; an inline `{ schema, handler }` entry gets
// `data` typed from its output (checked by tsc: the @ts-expect-error must be needed).
const textSchema: StandardSchemaV1<unknown, { text: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) =>
      typeof (value as { text?: unknown })?.text === 'string' ? { value: value as { text: string } } : { issues: [{ message: 'text must be a string' }] },
  },
}

const hub = new CountingHub()
const app = new Hono()
app.get(
  '/ws',
  websocket(
    {
      async open(socket) {
        await socket.join('lobby')
      },
      events: {
        say: (socket, text: string) => socket.server.to('lobby').send(text),
        shout: {
          schema: textSchema,
          handler: (socket, data) => {
            const text: string = data.text
            // @ts-expect-error data.text is a string, not a number
            const wrong: number = data.text
            return socket.send(text.toUpperCase() + String(wrong).slice(0, 0))
          },
        },
      },
    },
    { presence: true, maxRooms: 5 },
  ),
)
const server = await serve(app, { port: 0, hostname: '127.0.0.1', hub })
const client = new WebSocket(`ws://127.0.0.1:${server.port}/ws`)
const echoed = await new Promise<string>((resolve, reject) => {
  client.once('open', () => client.send(JSON.stringify({ type: 'say', data: 'through the hub' })))
  client.once('message', (data) => resolve(String(data)))
  client.once('error', reject)
})
await server.close()
console.log(JSON.stringify({ echoed, calls: hub.calls, seenOptions: hub.seenOptions }))
