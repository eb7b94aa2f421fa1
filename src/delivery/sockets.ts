import type { Context } from 'hono'
import type { AnyEvents, EmitArgs, EventContract, EventMap } from '../connection/contract.ts'
import type { SendData } from '../connection/payload.ts'
import { runtimeOf } from '../runtime/served.ts'
import { envelope } from './envelope.ts'
import { idList, type ConnectionInfo, type Delivered, type Hub, type Recipients } from './hub.ts'

/**
 * A set of recipients to send to: a room, everyone, or a list of ids. `Out` types what
 * `emit` may send (see `defineEvents`); by default any event and payload.
 */
export class Target<Out extends EventMap = AnyEvents> {
  /** Made by {@link Sockets}: `to(room)`, `all`, `ids(ids)`. */
  constructor(
    readonly hub: Hub,
    readonly recipients: Recipients,
  ) {}

  /** The same recipients without these connection ids. */
  except(...ids: string[]): Target<Out> {
    const to = this.recipients
    if ('ids' in to) return new Target<Out>(this.hub, { ids: idList(to.ids).filter((id) => !ids.includes(id)) })
    return new Target<Out>(this.hub, { ...to, except: [...idList(to.except), ...ids] })
  }

  /** Sends a raw message (text or binary) to every recipient once. */
  send(data: SendData): Promise<Delivered> {
    return this.hub.send(this.recipients, data)
  }

  /** Sends the JSON envelope `{ "type": event, "data": data }`. */
  emit(...[event, data]: EmitArgs<Out>): Promise<Delivered> {
    return this.hub.send(this.recipients, envelope(event, data))
  }
}

/**
 * The connections of a server, reachable from WebSocket hooks and plain HTTP routes
 * alike: delivery to rooms, to everyone and to ids, the registry, and admin actions.
 *
 * `Data` is the type the registry calls give for each connection's `data`, and `Out`
 * types `emit`. Both are what the caller states (the registry holds every route's
 * connections); the defaults are `unknown` and any event.
 */
export class Sockets<Data = unknown, Out extends EventMap = AnyEvents> {
  constructor(readonly hub: Hub) {}

  /** This server instance's id. */
  get instanceId(): string {
    return this.hub.instanceId
  }

  /** Everyone in a room. */
  to(room: string): Target<Out> {
    return new Target<Out>(this.hub, { room })
  }

  /** Every connection. */
  get all(): Target<Out> {
    return new Target<Out>(this.hub, { all: true })
  }

  /** One or more connections by id; `missing` in the result lists those not connected. */
  ids(ids: string | readonly string[]): Target<Out> {
    return new Target<Out>(this.hub, { ids })
  }

  /** Sends to every connection. */
  broadcast(data: SendData): Promise<Delivered> {
    return this.all.send(data)
  }

  /** Sends to one connection or a list of them, by id. */
  sendTo(ids: string | readonly string[], data: SendData): Promise<Delivered> {
    return this.ids(ids).send(data)
  }

  /** Every connection's registry entry. */
  list(): Promise<ConnectionInfo<Data>[]> {
    return this.hub.connections() as Promise<ConnectionInfo<Data>[]>
  }

  /** One connection's registry entry, or undefined. */
  get(id: string): Promise<ConnectionInfo<Data> | undefined> {
    return this.hub.connection(id) as Promise<ConnectionInfo<Data> | undefined>
  }

  /** The rooms that have members. */
  rooms(): Promise<string[]> {
    return this.hub.rooms()
  }

  /** Who is in a room, with their data. */
  members(room: string): Promise<ConnectionInfo<Data>[]> {
    return this.hub.members(room) as Promise<ConnectionInfo<Data>[]>
  }

  /** Replaces a connection's data; false when it is not connected. */
  update(id: string, data: Data): Promise<boolean> {
    return this.hub.update(id, data)
  }

  /** Closes a connection (an admin action); false when it is not connected. */
  disconnect(id: string, code = 1000, reason = ''): Promise<boolean> {
    return this.hub.disconnect(id, code, reason)
  }
}

const cache = new WeakMap<Hub, Sockets>()

/**
 * The connections of the server handling this request, for use in any Hono handler.
 *
 * @example
 * app.post('/api/rooms/:room', async (c) => {
 *   const { delivered } = await sockets(c).to(c.req.param('room')).send(await c.req.text())
 *   return c.json({ delivered })
 * })
 *
 * Typed: `sockets<ChatData>(c)` gives `data: ChatData` in `list()`, `get()` and
 * `members()`; `sockets(c, chat)` types `emit` by the contract from `defineEvents`.
 */
export function sockets<Data = unknown, Out extends EventMap = AnyEvents>(
  c: Context<any, any, any>,
  contract?: EventContract<any, Out>,
): Sockets<Data, Out> {
  const runtime = runtimeOf(c.req.raw)
  if (!runtime) {
    throw new Error('portsocket: sockets(c) needs a request served through a portsocket adapter (serve() or toWorker())')
  }
  return socketsOf(runtime.hub)
}

/** The (cached) facade over a hub; its type parameters are only what the caller states. */
export function socketsOf<Data = unknown, Out extends EventMap = AnyEvents>(hub: Hub): Sockets<Data, Out> {
  let s = cache.get(hub)
  if (!s) cache.set(hub, (s = new Sockets(hub)))
  return s as Sockets<any, any>
}
