// Compiled by the package test next to the README's files, against the packed package:
// what portsocket's types infer, and what they reject. Every `@ts-expect-error` must
// meet an error, or the compile fails.
import { Hono, type Context } from 'hono'
import { hc } from 'hono/client'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { defineEvents, event, sockets, upgrade, websocket, websocketFor, type ServerSocket } from 'portsocket'
import { auth, type User } from './auth.ts'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function same<A, B>(_: Equal<A, B>): void {}

// socket.data is what `data` returns; the path's params reach `data` after a middleware.
new Hono().get('/rooms/:room', auth, websocket({
  data: (c) => ({ room: c.req.param('room'), joined: Date.now() }),
  open(socket) {
    same<typeof socket.data, { room: string; joined: number }>(true)
    // @ts-expect-error no such field
    socket.data.nope
  },
}))

// As a route's only handler (no middleware before it), recent Hono cannot carry the path
// into a handler made by a function call (honojs/hono#3202; README says so), so `c` is
// annotated there; the annotation types the param on every supported Hono.
new Hono().get('/solo/:room', websocket({
  data: (c: Context<any, '/solo/:room'>) => ({ room: c.req.param('room') }),
  open(socket) {
    same<typeof socket.data, { room: string }>(true)
  },
}))

// The route's env, stated on `c`, reaches `data`.
new Hono().get('/env/:room', auth, websocket({
  data: (c: Context<{ Variables: { user: User }; Bindings: { KEY: string } }, '/env/:room'>) => ({
    room: c.req.param('room'),
    user: c.get('user'),
    key: c.env.KEY,
  }),
  open(socket) {
    same<typeof socket.data, { room: string; user: User; key: string }>(true)
  },
}))

// upgrade(c, { data }) inside a handler: Hono types c, so data sees the path's params.
new Hono().get('/echo/:name', (c) => {
  const { socket, response } = upgrade(c, { data: () => ({ name: c.req.param('name') }) })
  same<typeof socket.data, { name: string }>(true)
  return response
})

// One contract types both directions.
const chat = defineEvents<{ say: string; ping: undefined }, { said: { text: string }; pong: undefined }>()
new Hono().get('/chat', websocket({
  contract: chat,
  events: {
    say(socket, text) {
      same<typeof text, string>(true)
      socket.emit('said', { text })
      // @ts-expect-error wrong payload
      socket.emit('said', { text: 1 })
      // @ts-expect-error not an event of the contract
      socket.emit('nope', 1)
      socket.to('room').emit('said', { text })
    },
    ping: (socket) => socket.emit('pong'),
    // @ts-expect-error clients do not send this
    other: () => {},
  },
}))

// Without a contract, handlers take any payload and emit anything: untyped code stays easy.
new Hono().get('/loose', websocket({
  events: { anything: (socket, data) => socket.emit('whatever', data.deeply.nested) },
}))

// A schema entry (any Standard Schema v1, validated at run time) types its handler's payload,
// next to plain handlers in the same map; event(schema, handler) types it where the hooks'
// types are given explicitly.
type Point = { x: number; y: number }
const point: StandardSchemaV1<unknown, Point> = {
  '~standard': {
    version: 1,
    vendor: 'inference',
    validate: (value) => (typeof value === 'object' && value !== null ? { value: value as Point } : { issues: [{ message: 'not a point' }] }),
  },
}
new Hono().get('/schema', websocket({
  events: {
    move: { schema: point, handler: (socket, p) => same<typeof p, Point>(true) },
    say: (socket, text: string) => socket.send(text),
    anything: (socket, data) => socket.emit('whatever', data.deeply.nested),
    // @ts-expect-error the handler's data is the schema's output, not a string
    jump: { schema: point, handler: (socket, p: string) => socket.send(p) },
  },
}))
new Hono().get('/explicit', websocket<{ n: number }>({
  events: { move: event(point, (socket, p) => same<typeof p, Point>(true)) },
}))
// A contract's payload and a schema entry must agree.
new Hono().get('/contract-schema', websocket({
  contract: defineEvents<{ move: Point }, {}>(),
  events: { move: { schema: point, handler: (socket, p) => same<typeof p, Point>(true) } },
}))

// The registry, typed by the socket's data or as stated.
new Hono().get('/who/:room', auth, websocket({
  data: (c) => ({ room: c.req.param('room') }),
  async open(socket) {
    const members = await socket.server.members(socket.data.room)
    same<(typeof members)[number]['data'], { room: string }>(true)
  },
}))
new Hono().post('/api/:room', async (c) => {
  const list = await sockets<{ room: string }>(c).list()
  same<(typeof list)[number]['data'], { room: string }>(true)
  await sockets(c, chat).to(c.req.param('room')).emit('said', { text: 'hi' })
  // @ts-expect-error wrong payload through the contract
  await sockets(c, chat).all.emit('said', 'hi')
  return c.json(list)
})

// A socket of a typed route is still a ServerSocket.
const accept = (_: ServerSocket<any>) => {}
new Hono().get('/any', websocket({ contract: chat, open: (socket) => accept(socket) }))

// websocket() is a handler of the route for Hono's RPC client, with $ws().
const routes = new Hono().get('/ws/:room', auth, websocket({ message: (socket, m) => socket.send(m.text()) }))
const client = hc<typeof routes>('http://localhost')
export const socket: WebSocket = client.ws[':room'].$ws({ param: { room: 'lobby' } })

// The app's env, stated once through websocketFor: c.get and c.env typed, the rest inferred.
const ws = websocketFor<{ Variables: { user: User }; Bindings: { KEY: string } }>()
new Hono<{ Variables: { user: User }; Bindings: { KEY: string } }>().get('/typed-env/:room', auth, ws({
  data: (c) => ({ room: c.req.param('room'), user: c.get('user'), key: c.env.KEY }),
  open(socket) {
    same<typeof socket.data, { room: string; user: User; key: string }>(true)
  },
}))
