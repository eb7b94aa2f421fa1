/**
 * Event maps: the types of the JSON envelopes `{ "type": event, "data": data }` that a
 * route receives (`events` handlers) and sends (`emit`). Types only: nothing here runs.
 */

/** Event name → payload type, e.g. `{ say: string; typing: undefined }`. */
export type EventMap = object

/** The default map: any event name, any payload. Untyped code stays untyped. */
export type AnyEvents = Record<string, any>

/** The event names of a map. */
export type EventName<M extends EventMap> = keyof M & string

/**
 * `emit`'s arguments, `[event, data]`, one tuple per event of the map; `data` is optional
 * when the payload type admits `undefined`. (A union of tuples rather than a generic
 * method, so a socket typed by a contract is still a `ServerSocket<any>`.)
 */
export type EmitArgs<M extends EventMap> = {
  [K in EventName<M>]: undefined extends M[K] ? [event: K, data?: M[K]] : [event: K, data: M[K]]
}[EventName<M>]

/**
 * One contract for both directions: `In` is what clients send (the `events` handlers'
 * payloads), `Out` what the server sends (`socket.emit`, `sockets(c).to(room).emit`).
 * Made by {@link defineEvents}; it carries types only.
 */
export interface EventContract<In extends EventMap = AnyEvents, Out extends EventMap = AnyEvents> {
  /** @hidden phantom: never set */
  readonly '~in'?: In
  /** @hidden phantom: never set */
  readonly '~out'?: Out
}

/**
 * Declares the events of a route once, for both directions. Pass the result as `contract`
 * in the hooks and to `sockets(c, contract)`; `events` handlers then get typed payloads and
 * `emit` checks event names and payloads.
 *
 * @example
 * const chat = defineEvents<{ say: string }, { said: { from: string; text: string } }>()
 * app.get('/ws', websocket({
 *   contract: chat,
 *   events: { say: (socket, text) => socket.emit('said', { from: socket.id, text }) },
 * }))
 */
export function defineEvents<In extends EventMap = AnyEvents, Out extends EventMap = AnyEvents>(): EventContract<In, Out> {
  return CONTRACT
}

const CONTRACT: EventContract<any, any> = Object.freeze({})

/** An `events` payload type the route did not declare is `any`, not `unknown`. */
export type Loose<T> = unknown extends T ? any : T
