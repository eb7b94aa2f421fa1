// Hono's own WebSocket helper: no pub/sub, so the chat relay is a loop over the sockets.
import { Hono } from 'hono'

export function honoApp(upgradeWebSocket) {
  const app = new Hono()
  const chat = new Map()
  app.get('/health', (c) => c.text('ok'))
  app.get('/echo', upgradeWebSocket(() => ({ onMessage: (event, ws) => ws.send(event.data) })))
  app.get(
    '/chat',
    upgradeWebSocket((c) => {
      const name = c.req.query('name')
      return {
        onOpen: (_event, ws) => void chat.set(ws.raw, ws),
        onMessage: (event, ws) => {
          // Hono's Workers helper never calls onOpen: register on the first message.
          if (!chat.has(ws.raw)) chat.set(ws.raw, ws)
          const text = `${name}: ${event.data}`
          for (const peer of chat.values()) peer.send(text)
        },
        onClose: (_event, ws) => void chat.delete(ws.raw),
      }
    }),
  )
  return app
}
