import type { Connection } from '../connection/connection.ts'
import { connectionOf, type ServerSocket } from '../connection/socket.ts'
import type { OutTally } from '../connection/tally.ts'
import { toPayload, wireBound, type Payload, type SendData } from '../connection/payload.ts'
import { envelope } from './envelope.ts'
import { RESOLVED } from './resolved.ts'
import { HubSockets, type SocketRegistry } from './local-sockets.ts'
import { Room } from './room.ts'
import { checkRoomName, connectionInfo, idList, MAX_ROOM_NAME, RoomError, type ConnectionInfo, type Delivered, type FanOut, type Hub, type Recipients } from './hub.ts'

export type { FanOut }

/** The topic every socket is subscribed to, for broadcasts: longer than any room name. */
export const ALL_TOPIC = 'portsocket:all'.padEnd(MAX_ROOM_NAME + 1, '*')

const NONE: ReadonlySet<ServerSocket<any>> = new Set()

/** One message of {@link MemoryHub.sendRun}: its payload and the ids it leaves out. */
export interface RunPart {
  payload: Payload
  except: readonly string[]
}

/**
 * The default hub: one server instance's connections and rooms, in memory. It is also
 * the {@link OutTally} of its sockets: a native room publish is counted once per room.
 */
export class MemoryHub implements Hub, OutTally {
  #instanceId: string | undefined
  /** The local sockets by id: the runtime's registry once bound (see {@link FanOut.sockets}). */
  readonly #local: HubSockets
  readonly #rooms = new Map<string, Room>()

  #fast: FanOut

  readonly #given: boolean
  /** The runtime that bound the hub first. */
  #bound: FanOut | undefined

  /**
   * Whether sockets are subscribed to {@link ALL_TOPIC}: only from the first broadcast on,
   * so a server that never broadcasts keeps no second subscription per socket.
   */
  #broadcasting = false

  /**
   * `fanOut` is optional: the runtime hands its own through {@link bind}. One given here
   * is kept (bind does not replace it).
   */
  constructor(fanOut?: FanOut) {
    this.#fast = fanOut ?? {}
    this.#given = fanOut !== undefined
    this.#local = new HubSockets(fanOut?.sockets)
  }

  /** The local sockets by id: the bound runtime's registry, or the hub's own (see {@link HubSockets}). */
  get sockets(): SocketRegistry {
    return this.#local.view
  }

  /** The runtime's fast path (see {@link FanOut}). */
  get fanOut(): FanOut {
    return this.#fast
  }

  bind(fanOut: FanOut): void {
    if (!this.#given) {
      // A second runtime (one hub shared by two servers): one runtime's native publish or
      // frames reach only its own sockets, so the hub sends to each member in turn.
      this.#fast = this.#bound === undefined || this.#bound === fanOut ? fanOut : {}
      this.#bound = fanOut
    }
    this.#local.bind(fanOut.sockets)
  }

  get instanceId(): string {
    // Made on first use: Workers allow no random values at module scope, where hubs are built.
    return (this.#instanceId ??= crypto.randomUUID())
  }

  attach(socket: ServerSocket<any>): void {
    this.#local.attached(socket)
    if (this.#broadcasting) connectionOf(socket).transport?.subscribe?.(ALL_TOPIC)
  }

  /** Returns false when the hub never knew the socket (a hub with a registry of its own). */
  detach(socket: ServerSocket<any>): boolean {
    // From the core's own record, not `socket.rooms` (a new Set for a single room):
    // #leave changes the record, so several rooms are copied first.
    const rooms = connectionOf(socket).roomSet
    if (typeof rooms === 'string') this.#leave(socket, rooms)
    else if (rooms) for (const room of [...rooms]) this.#leave(socket, room)
    return this.#local.detached(socket)
  }

  restore(socket: ServerSocket<any>, rooms: readonly string[]): void {
    for (const room of rooms) this.#join(socket, room, false)
  }

  // join and leave do their work before they return; a failure is a rejection, as from an async function.
  join(socket: ServerSocket<any>, room: string): Promise<void> {
    try {
      checkRoomName(room)
      if (this.#local.view.get(socket.id) !== socket) throw new RoomError('join() needs an open socket')
      this.#join(socket, room, socket.options.presence)
    } catch (error) {
      return Promise.reject(error)
    }
    return RESOLVED
  }

  #join(socket: ServerSocket<any>, room: string, announce: boolean): void {
    const core = connectionOf(socket)
    if (core.inRoom(room)) return
    const max = socket.options.maxRooms
    if (core.roomCount >= max) throw new RoomError(`a socket may be in at most ${max} rooms`)
    core.addRoom(room)
    let record = this.#rooms.get(room)
    if (!record) this.#rooms.set(room, (record = new Room()))
    record.add(socket)
    core.tally = this
    core.transport?.subscribe?.(room)
    if (announce) this.#announce(socket, room, 'join')
  }

  leave(socket: ServerSocket<any>, room: string): Promise<void> {
    try {
      checkRoomName(room)
      this.#leave(socket, room)
    } catch (error) {
      return Promise.reject(error)
    }
    return RESOLVED
  }

  #leave(socket: ServerSocket<any>, room: string): void {
    const record = this.#rooms.get(room)
    const pending = record?.remove(socket)
    if (pending === undefined) return
    const core = connectionOf(socket)
    // The member's count catches up with the room's publishes as it goes.
    core.sent += pending
    core.removeRoom(room)
    if (record!.members.size === 0) this.#rooms.delete(room)
    core.transport?.unsubscribe?.(room)
    if (socket.options.presence) this.#announce(socket, room, 'leave')
  }

  #announce(socket: ServerSocket<any>, room: string, action: 'join' | 'leave'): void {
    const record = this.#rooms.get(room)
    if (!record) return
    const payload = envelope('presence', { room, action, member: { id: socket.id, data: socket.data } })
    this.#fanOut(record, payload, [socket.id], room)
  }

  async send(to: Recipients, data: SendData): Promise<Delivered> {
    return this.sendNow(to, data)
  }

  /**
   * {@link send}, synchronously: the local deliveries are made before it returns. For a
   * hub built on this one (RedisHub relaying what other instances sent), so a relayed
   * message costs no promise.
   */
  sendNow(to: Recipients, data: SendData): Delivered {
    const payload = toPayload(data)
    if ('ids' in to) {
      const missing: string[] = []
      const targets = new Set<ServerSocket<any>>()
      for (const id of idList(to.ids)) {
        const socket = this.#local.view.get(id)
        if (socket) targets.add(socket)
        else missing.push(id)
      }
      return { delivered: this.#fanOut(targets, payload, [], undefined), missing }
    }
    const except = idList(to.except)
    if ('room' in to) {
      const record = this.#rooms.get(to.room)
      return { delivered: record ? this.#fanOut(record, payload, except, to.room) : 0, missing: [] }
    }
    if (!this.#broadcasting && this.#fast.publish) {
      this.#broadcasting = true
      for (const socket of this.#local.view.values()) connectionOf(socket).transport?.subscribe?.(ALL_TOPIC)
    }
    return { delivered: this.#fanOut(this.#local.view.values(), payload, except, ALL_TOPIC), missing: [] }
  }

  /**
   * Several messages to one room or to everyone, in order, each delivered as
   * {@link sendNow} would deliver it alone (with its own `except`): for a hub built on this
   * one (RedisHub relaying a batch another instance sent). Where the runtime encodes
   * several payloads as one unit (`FanOut.prepareMany`) and has no native publish, each
   * run of messages that leave nobody out is encoded once and reaches each recipient in
   * one send. Returns the deliveries made.
   */
  sendRun(to: { room: string } | { all: true }, parts: readonly RunPart[]): number {
    const fanOut = this.#fast
    let count = 0
    if (!fanOut.prepareMany || fanOut.publish || parts.length < 2) {
      for (const { payload, except } of parts) count += this.sendNow(except.length ? { ...to, except } : to, payload).delivered
      return count
    }
    const room = 'room' in to ? this.#rooms.get(to.room) : undefined
    if ('room' in to && !room) return 0
    for (let start = 0; start < parts.length; ) {
      let end = start
      while (end < parts.length && parts[end]!.except.length === 0) end++
      if (end - start >= 2) {
        count += this.#fanOutMany(room ? room.members.keys() : this.#local.view.values(), parts, start, end)
        start = end
      } else {
        // One message alone, or one that leaves someone out: as it would go alone.
        const { payload, except } = parts[start]!
        count += this.sendNow(except.length ? { ...to, except } : to, payload).delivered
        start++
      }
    }
    return count
  }

  /** Parts `start` to `end` (none leaving anyone out) to each recipient, encoded once as one unit. */
  #fanOutMany(recipients: Iterable<ServerSocket<any>>, parts: readonly RunPart[], start: number, end: number): number {
    const payloads = new Array<Payload>(end - start)
    let bound = 0
    for (let i = start; i < end; i++) {
      const payload = parts[i]!.payload
      payloads[i - start] = payload
      bound += wireBound(payload)
    }
    const prepared = this.#fast.prepareMany!(payloads)
    let count = 0
    for (const socket of recipients) count += connectionOf(socket).deliverMany(payloads, prepared, bound)
    return count
  }

  /**
   * Hands one payload to each recipient once; a closed or failing one never stops the
   * rest. `to` is a room (its members) or the recipients themselves.
   */
  #fanOut(to: Room | Iterable<ServerSocket<any>>, payload: Payload, except: readonly string[], topic: string | undefined): number {
    const fanOut = this.#fast
    const { publish, prepare } = fanOut
    const room = to instanceof Room ? to : undefined
    if (publish && topic !== undefined && except.length <= 1) {
      const skip = except.length ? this.#local.view.get(except[0]!) : undefined
      const status = (except.length === 0 || skip) && publish.call(fanOut, topic, payload, skip)
      if (status) {
        // Send buffers are read (a native call per member on Bun) only when the publish
        // saw a recipient buffering: no buffer, no slow consumer to find.
        const check = status !== true
        // Nobody buffering: a room counts the publish once for all its members, and
        // makes no iterator over them (on Bun, one per publish showed in the chat's
        // server CPU per delivery).
        if (room && !check) return room.countPublish(skip)
        let count = 0
        for (const socket of room ? room.members.keys() : (to as Iterable<ServerSocket<any>>)) {
          if (socket !== skip && connectionOf(socket).countDelivered(check)) count++
        }
        return count
      }
    }
    const prepared = prepare?.call(fanOut, payload)
    let count = 0
    for (const socket of room ? room.members.keys() : (to as Iterable<ServerSocket<any>>)) {
      if (except.length && except.includes(socket.id)) continue
      if (connectionOf(socket).deliver(payload, prepared)) count++
    }
    return count
  }

  pending(socket: Connection): number {
    let total = 0
    this.#eachRoom(socket, (room) => (total += room.pendingFor(socket)))
    return total
  }

  settle(socket: Connection): number {
    let total = 0
    this.#eachRoom(socket, (room) => (total += room.settle(socket)))
    return total
  }

  #eachRoom(socket: Connection, fn: (room: Room) => void): void {
    const names = socket.roomSet
    if (names === undefined) return
    if (typeof names === 'string') {
      const room = this.#rooms.get(names)
      if (room) fn(room)
      return
    }
    for (const name of names) {
      const room = this.#rooms.get(name)
      if (room) fn(room)
    }
  }

  async connections(): Promise<ConnectionInfo[]> {
    return [...this.#local.view.values()].map((s) => this.#info(s))
  }

  async connection(id: string): Promise<ConnectionInfo | undefined> {
    const socket = this.#local.view.get(id)
    return socket && this.#info(socket)
  }

  async rooms(): Promise<string[]> {
    return [...this.#rooms.keys()]
  }

  async members(room: string): Promise<ConnectionInfo[]> {
    return [...(this.#rooms.get(room)?.members.keys() ?? NONE)].map((s) => this.#info(s))
  }

  async update(id: string, data: unknown): Promise<boolean> {
    const socket = this.#local.view.get(id)
    if (!socket) return false
    socket.data = data
    return true
  }

  async disconnect(id: string, code = 1000, reason = ''): Promise<boolean> {
    const socket = this.#local.view.get(id)
    if (!socket) return false
    socket.close(code, reason)
    return true
  }

  #info(socket: ServerSocket<any>): ConnectionInfo {
    return connectionInfo(socket, this.instanceId)
  }
}
