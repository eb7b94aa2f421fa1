import type { FanOut } from './memory-hub.ts'
import type { ServerSocket, SendData } from './socket.ts'

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
 * The registry and delivery service behind rooms. The default keeps everything in
 * memory in one server instance; a hub that spans instances (Redis) implements the same
 * interface, so every call that may cross the network is async.
 */
export interface Hub {
  /** This server instance's id. */
  readonly instanceId: string
  /** @internal a local socket opened. */
  attach(socket: ServerSocket<any>): void
  /** @internal a local socket closed: it leaves every room. */
  detach(socket: ServerSocket<any>): void
  /** @internal puts a revived socket back in its rooms, announcing nothing. */
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
  /** Called once by the runtime the hub serves, with its fan-out fast path (a hub that keeps a local MemoryHub builds it here). */
  bind?(fanOut: FanOut): void
  /** Graceful shutdown, called by `server.close()` after the sockets closed: release what the hub holds elsewhere. */
  close?(): Promise<void>
}

/** Thrown when a room name or a socket's room count is out of bounds. */
export class RoomError extends RangeError {
  override readonly name = 'RoomError'
}

/** Longest room name, in UTF-16 units. */
export const MAX_ROOM_NAME = 128

/** @internal */
export function checkRoomName(room: unknown): asserts room is string {
  if (typeof room !== 'string' || room.length === 0) throw new RoomError('a room name must be a non-empty string')
  if (room.length > MAX_ROOM_NAME) throw new RoomError(`a room name must be at most ${MAX_ROOM_NAME} characters`)
}

/** The JSON envelope that `emit` sends: `{ "type": event, "data": data }`. */
export function envelope(event: string, data: unknown): string {
  return JSON.stringify({ type: event, data })
}

/** @internal `except` as a list. */
export function idList(ids: string | readonly string[] | undefined): readonly string[] {
  return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids
}
