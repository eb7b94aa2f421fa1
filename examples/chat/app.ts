/**
 * The chat demo behind `npm start`: one Hono app, unchanged on Node, Bun, Deno and
 * Workers (entries beside this file). Pick a name and a room; see who is here, the
 * messages in order, join and leave notices; /admin lists connections and kicks one.
 */
import { Hono } from 'hono'
import { sockets, websocket } from 'portsocket'
import type { ChatMessage, Member } from './events.ts'
import { adminPage, chatPage, chatScript } from './page.ts'

export interface ChatOptions {
  /**
   * Reads a built module of portsocket/client (`index.js`, `client.js`, …) for the page.
   * Node, Bun and Deno pass one that reads dist/src/client; on Workers, wrangler serves
   * them as static assets and this is left out.
   */
  clientFile?: (name: string) => Promise<string | undefined>
}

const MAX_TEXT = 2000
const HISTORY = 50
const MAX_ROOMS_WITH_HISTORY = 100

/** Cleans a name or room from the query string: trimmed, at most 32 characters, never empty. */
function clean(value: string | undefined, fallback: string): string {
  const text = (value ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 32)
  return text || fallback
}

export function createChatApp(options: ChatOptions = {}): Hono {
  const app = new Hono()
  // The last messages of each room, so a page that (re)joins sees what it missed. Bounded
  // in rooms and messages. One instance's memory: with several instances (REDIS_URL) a
  // shared store would hold it.
  const history = new Map<string, ChatMessage[]>()
  const remember = (room: string, message: ChatMessage) => {
    const list = history.get(room) ?? []
    history.delete(room) // re-insert: the Map's order is least recently used first
    history.set(room, [...list.slice(-(HISTORY - 1)), message])
    if (history.size > MAX_ROOMS_WITH_HISTORY) history.delete(history.keys().next().value!)
  }

  app.get('/', (c) => c.html(chatPage))
  app.get('/chat.js', (c) => c.body(chatScript, 200, { 'content-type': 'text/javascript; charset=utf-8' }))
  app.get('/admin', (c) => c.html(adminPage))
  app.get('/health', (c) => c.text('ok'))

  const clientFile = options.clientFile
  if (clientFile) {
    app.get('/client/:file', async (c) => {
      const file = c.req.param('file')
      const source = /^[a-z-]+\.js$/.test(file) ? await clientFile(file) : undefined
      return source === undefined ? c.notFound() : c.body(source, 200, { 'content-type': 'text/javascript; charset=utf-8' })
    })
  }

  app.get(
    '/ws/chat',
    websocket<Member>(
      {
        async open(socket) {
          const { room } = socket.data
          await socket.join(room)
          // Who is here, seeded from the registry; presence messages keep it current.
          const members = (await socket.server.members(room)).map((m) => ({ id: m.id, name: (m.data as Member).name }))
          socket.emit('welcome', { id: socket.id, room, members, history: history.get(room) ?? [] })
        },
        events: {
          async say(socket, data: { text?: unknown; nonce?: unknown }) {
            const text = typeof data?.text === 'string' ? data.text.trim().slice(0, MAX_TEXT) : ''
            if (!text) return
            const message: ChatMessage = {
              id: crypto.randomUUID(),
              from: socket.id,
              name: socket.data.name,
              text,
              nonce: typeof data.nonce === 'string' ? data.nonce.slice(0, 64) : undefined,
              at: Date.now(),
            }
            remember(socket.data.room, message)
            await socket.server.to(socket.data.room).emit('said', message)
          },
        },
      },
      {
        presence: true,
        data: (c) => ({ name: clean(c.req.query('name'), 'anonymous'), room: clean(c.req.query('room'), 'lobby') }),
        // A stable id lets the route's sockets hibernate in a Durable Object.
        id: 'chat',
        // Browsers cannot see protocol pings: an app-level ping every 15 s that the client
        // answers, so the page notices a dead connection (its heartbeat timeout) too.
        heartbeat: { interval: 15_000, app: true },
      },
    ),
  )

  // Rooms with people in them, for the page's room picker.
  app.get('/api/rooms', async (c) => {
    const s = sockets(c)
    const rooms = await s.rooms()
    return c.json(await Promise.all(rooms.map(async (room) => ({ room, members: (await s.members(room)).length }))))
  })

  // Admin: every connection, and a kick. Put auth middleware in front of these in a real app.
  app.get('/api/connections', async (c) => c.json(await sockets(c).list()))
  app.delete('/api/connections/:id', async (c) =>
    (await sockets(c).disconnect(c.req.param('id'), 4001, 'kicked')) ? c.body(null, 204) : c.notFound(),
  )

  return app
}
