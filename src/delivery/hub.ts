import type { Payload, SendData } from '../connection/payload.ts'
import type { ServerSocket } from '../connection/socket.ts'
import type { SocketRegistry } from './local-sockets.ts'

/** What the registry knows of one connection, wherever it is connected. */
export interface ConnectionInfo<Data = unknown> {
  id: string
  /** The server instance holding the connection. */
  instanceId: string
  /** When the upgrade was accepted (ms since the epoch). */
  connectedAt: number
  rooms: string[]
  data: Data
  url: string
  protocol: string
  /** The client's IP address, or `""` when the runtime does not tell. */
  remoteAddress: string
}

/** The outcome of a delivery. */
export interface Delivered {
  /** How many connections the message was handed to. */
  delivered: number
  /** Ids asked for by `sendTo` that are not connected. */
  missing: string[]
}

/** Who a delivery goes to. `except` takes ids (or one id) to leave out. */
export type Recipients =
  | { room: string; except?: string | readonly string[] }
  | { ids: string | readonly string[] }
  | { all: true; except?: string | readonly string[] }

/**
 * How a runtime can deliver one payload to many of its sockets faster than a loop of
 * `send`: native topics (Bun) or a frame encoded once (Node). Both are optional. A
 * runtime hands its fast path to its hub through {@link Hub.bind}.
 */
export interface FanOut {
  /**
   * Publishes to every socket subscribed to `topic`, except `except`; false if it cannot.
   * `true` means sent with no recipient holding bytes it could not write yet;
   * `'buffering'` means sent, and at least one recipient is buffering, so the hub checks
   * each recipient's send buffer against the slow-consumer cap (a cap can only be passed
   * by a socket that is buffering, so `true` lets the hub skip that per-member check).
   */
  publish?(topic: string, payload: Payload, except: ServerSocket<any> | undefined): boolean | 'buffering'
  /** Encodes a payload once, for `Transport.sendPrepared` on each recipient. */
  prepare?(payload: Payload): unknown
  /**
   * Encodes several payloads once, as one unit for `Transport.sendPrepared`: a recipient
   * gets each as a message of its own, in this order, from one send. A hub uses it for
   * the messages of a relayed batch (RedisHub) where the runtime has no native publish.
   */
  prepareMany?(payloads: readonly Payload[]): unknown
  /**
   * The runtime's open sockets, by id. A hub bound to the runtime finds its local sockets
   * here instead of keeping a registry of its own (each entry costs memory per
   * connection). The runtime enters a socket before `attach` and removes it before
   * `detach`.
   */
  readonly sockets?: SocketRegistry
}

/**
 * The registry and delivery service behind rooms. The default keeps everything in
 * memory in one server instance; a hub that spans instances (Redis) implements the same
 * interface, so every call that may cross the network is async.
 *
 * The runtime drives the lifecycle members: `bind` once before any socket, `attach` /
 * `detach` as each local socket opens and ends (synchronously: a hub that talks to a
 * remote store does that work in the background), `restore` for sockets revived after
 * hibernation, and `close` when the server closes. Read a socket's route options
 * (`presence`, `maxRooms`) from `socket.options`.
 */
export interface Hub {
  /** This server instance's id. */
  readonly instanceId: string
  /**
   * Called once by the runtime, before any socket attaches, with its fan-out fast path
   * (native publish, frame-once). A hub may keep it for local deliveries.
   */
  bind?(fanOut: FanOut): void
  /** A local socket opened: from now on it can be found by id and join rooms. */
  attach(socket: ServerSocket<any>): void
  /** A local socket ended: it leaves every room (announcing leaves where presence is on) and the registry. */
  detach(socket: ServerSocket<any>): void
  /** Puts a revived socket (a Durable Object woke up) back in its rooms, announcing nothing. */
  restore?(socket: ServerSocket<any>, rooms: readonly string[]): void
  /** Adds the socket to a room (a second join is a no-op). */
  join(socket: ServerSocket<any>, room: string): Promise<void>
  /** Takes the socket out of a room. */
  leave(socket: ServerSocket<any>, room: string): Promise<void>
  /** Sends one message to the recipients, each exactly once. Never throws for closed or unknown sockets. */
  send(to: Recipients, data: SendData): Promise<Delivered>
  /** Every connection. */
  connections(): Promise<ConnectionInfo[]>
  /** One connection, or undefined. */
  connection(id: string): Promise<ConnectionInfo | undefined>
  /** The names of the rooms that have members. */
  rooms(): Promise<string[]>
  /** The members of a room (empty for a room that does not exist). */
  members(room: string): Promise<ConnectionInfo[]>
  /** Replaces a connection's `data`; false when the id is not connected. */
  update(id: string, data: unknown): Promise<boolean>
  /** Closes a connection with a code and reason; false when the id is not connected. */
  disconnect(id: string, code?: number, reason?: string): Promise<boolean>
  /** Releases what the hub holds (connections to a store…); `server.close()` calls it after every socket has closed. */
  close?(): Promise<void>
}

/** Thrown when a room name or a socket's room count is out of bounds. */
export class RoomError extends RangeError {
  override readonly name = 'RoomError'
}

/** Longest room name, in UTF-16 units. */
export const MAX_ROOM_NAME = 128

/** Throws a {@link RoomError} unless `room` is a valid room name. */
export function checkRoomName(room: unknown): asserts room is string {
  if (typeof room !== 'string' || room.length === 0) throw new RoomError('a room name must be a non-empty string')
  if (room.length > MAX_ROOM_NAME) throw new RoomError(`a room name must be at most ${MAX_ROOM_NAME} characters`)
}

/** `except` (one id or a list) as a list. */
export function idList(ids: string | readonly string[] | undefined): readonly string[] {
  return ids === undefined ? NO_IDS : typeof ids === 'string' ? [ids] : ids
}

const NO_IDS: readonly string[] = Object.freeze([])

/** A local socket's registry entry, as every hub reports it. */
export function connectionInfo(socket: ServerSocket<any>, instanceId: string): ConnectionInfo {
  return {
    id: socket.id,
    instanceId,
    connectedAt: socket.connectedAt,
    rooms: [...socket.rooms],
    data: socket.data,
    url: socket.url,
    protocol: socket.protocol,
    remoteAddress: socket.remoteAddress,
  }
}
