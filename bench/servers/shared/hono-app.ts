/**
 * The same app on Hono's own WebSocket helper (`upgradeWebSocket` of each runtime). Hono
 * has no rooms, so the chat keeps its members in a Set and relays with a send loop.
 *
 * Hono's Workers helper never calls `onOpen` (workerd has no open event on the server
 * side), so there a member is only known once it has sent something: `joinByMessage`
 * makes a socket's first message its join ("join" is answered with "joined" and not
 * relayed). The load client sends that join message only to servers that need it.
 */
import { Hono } from 'hono'
import type { UpgradeWebSocket, WSContext } from 'hono/ws'

export function honoApp(upgradeWebSocket: UpgradeWebSocket<any>, joinByMessage = false): Hono {
  const app = new Hono()
  const room = new Set<WSContext>()

  app.get('/health', (c) => c.text('ok'))

  app.get(
    '/chat',
    upgradeWebSocket((c) => {
      const name = c.req.query('name') ?? 'anonymous'
      return {
        onOpen(_event, ws) {
          room.add(ws)
        },
        onMessage(event, ws) {
          if (joinByMessage && !room.has(ws)) {
            room.add(ws)
            ws.send('joined')
            return
          }
          const out = `${name}: ${event.data}`
          for (const member of room) member.send(out)
        },
        onClose(_event, ws) {
          room.delete(ws)
        },
        onError(_event, ws) {
          room.delete(ws)
        },
      }
    }),
  )

  app.get(
    '/echo',
    upgradeWebSocket(() => ({
      onMessage(event, ws) {
        ws.send(event.data as string)
      },
    })),
  )

  return app
}
