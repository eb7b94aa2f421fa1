import { connectionOf, type ServerSocket } from '../connection/socket.ts'
import { toPayload, type Payload, type SendData } from '../connection/payload.ts'
import { envelope } from './envelope.ts'
import { checkRoomName, connectionInfo, idList, MAX_ROOM_NAME, RoomError, type ConnectionInfo, type Delivered, type FanOut, type Hub, type Recipients } from './hub.ts'

export type { FanOut }

/** The topic every socket is subscribed to, for broadcasts: longer than any room name. */
export const ALL_TOPIC = 'portsocket:all'.padEnd(MAX_ROOM_NAME + 1, '*')

const NONE: ReadonlySet<ServerSocket<any>> = new Set()

/** The default hub: one server instance's connections and rooms, in memory. */
export class MemoryHub implements Hub {
  #instanceId: string | undefined
  readonly #sockets = new Map<string, ServerSocket<any>>()
  readonly #rooms = new Map<string, Set<ServerSocket<any>>>()

  #fast: FanOut

  readonly #given: boolean

  /**
   * `fanOut` is optional: the runtime hands its own through {@link bind}. One given here
   * is kept (bind does not replace it).
   */
  constructor(fanOut?: FanOut) {
    this.#fast = fanOut ?? {}
    this.#given = fanOut !== undefined
  }

  /** The runtime's fast path (see {@link FanOut}). */
  get fanOut(): FanOut {
    return this.#fast
  }

  bind(fanOut: FanOut): void {
    if (!this.#given) this.#fast = fanOut
  }

  get instanceId(): string {
    // Made on first use: Workers allow no random values at module scope, where hubs are built.
    return (this.#instanceId ??= crypto.randomUUID())
  }

  attach(socket: ServerSocket<any>): void {
    this.#sockets.set(socket.id, socket)
    connectionOf(socket).transport?.subscribe?.(ALL_TOPIC)
  }

  detach(socket: ServerSocket<any>): void {
    for (const room of [...socket.rooms]) this.#leave(socket, room)
    this.#sockets.delete(socket.id)
  }

  restore(socket: ServerSocket<any>, rooms: readonly string[]): void {
    for (const room of rooms) this.#join(socket, room, false)
  }

  async join(socket: ServerSocket<any>, room: string): Promise<void> {
    checkRoomName(room)
    if (this.#sockets.get(socket.id) !== socket) throw new RoomError('join() needs an open socket')
    this.#join(socket, room, socket.options.presence)
  }

  #join(socket: ServerSocket<any>, room: string, announce: boolean): void {
    const core = connectionOf(socket)
    if (core.inRoom(room)) return
    const max = socket.options.maxRooms
    if (core.roomCount >= max) throw new RoomError(`a socket may be in at most ${max} rooms`)
    core.addRoom(room)
    let members = this.#rooms.get(room)
    if (!members) this.#rooms.set(room, (members = new Set()))
    members.add(socket)
    core.transport?.subscribe?.(room)
    if (announce) this.#announce(socket, room, 'join')
  }

  async leave(socket: ServerSocket<any>, room: string): Promise<void> {
    checkRoomName(room)
    this.#leave(socket, room)
  }

  #leave(socket: ServerSocket<any>, room: string): void {
    const members = this.#rooms.get(room)
    if (!members?.delete(socket)) return
    const core = connectionOf(socket)
    core.removeRoom(room)
    if (members.size === 0) this.#rooms.delete(room)
    core.transport?.unsubscribe?.(room)
    if (socket.options.presence) this.#announce(socket, room, 'leave')
  }

  #announce(socket: ServerSocket<any>, room: string, action: 'join' | 'leave'): void {
    const members = this.#rooms.get(room)
    if (!members) return
    const payload = envelope('presence', { room, action, member: { id: socket.id, data: socket.data } })
    this.#fanOut(members, payload, [socket.id], room)
  }

  async send(to: Recipients, data: SendData): Promise<Delivered> {
    const payload = toPayload(data)
    if ('ids' in to) {
      const missing: string[] = []
      const targets = new Set<ServerSocket<any>>()
      for (const id of idList(to.ids)) {
        const socket = this.#sockets.get(id)
        if (socket) targets.add(socket)
        else missing.push(id)
      }
      return { delivered: this.#fanOut(targets, payload, [], undefined), missing }
    }
    const except = idList(to.except)
    if ('room' in to) return { delivered: this.#fanOut(this.#rooms.get(to.room) ?? NONE, payload, except, to.room), missing: [] }
    return { delivered: this.#fanOut(this.#sockets.values(), payload, except, ALL_TOPIC), missing: [] }
  }

  /** Hands one payload to each recipient once; a closed or failing one never stops the rest. */
  #fanOut(
    recipients: Iterable<ServerSocket<any>>,
    payload: Payload,
    except: readonly string[],
    topic: string | undefined,
  ): number {
    const fanOut = this.#fast
    const { publish, prepare } = fanOut
    if (publish && topic !== undefined && except.length <= 1) {
      const skip = except.length ? this.#sockets.get(except[0]!) : undefined
      const status = (except.length === 0 || skip) && publish.call(fanOut, topic, payload, skip)
      if (status) {
        // Send buffers are read (a native call per member on Bun) only when the publish
        // saw a recipient buffering: no buffer, no slow consumer to find.
        const check = status !== true
        let count = 0
        for (const socket of recipients) if (socket !== skip && connectionOf(socket).countDelivered(check)) count++
        return count
      }
    }
    const prepared = prepare?.call(fanOut, payload)
    let count = 0
    for (const socket of recipients) {
      if (except.length && except.includes(socket.id)) continue
      if (connectionOf(socket).deliver(payload, prepared)) count++
    }
    return count
  }

  async connections(): Promise<ConnectionInfo[]> {
    return [...this.#sockets.values()].map((s) => this.#info(s))
  }

  async connection(id: string): Promise<ConnectionInfo | undefined> {
    const socket = this.#sockets.get(id)
    return socket && this.#info(socket)
  }

  async rooms(): Promise<string[]> {
    return [...this.#rooms.keys()]
  }

  async members(room: string): Promise<ConnectionInfo[]> {
    return [...(this.#rooms.get(room) ?? NONE)].map((s) => this.#info(s))
  }

  async update(id: string, data: unknown): Promise<boolean> {
    const socket = this.#sockets.get(id)
    if (!socket) return false
    socket.data = data
    return true
  }

  async disconnect(id: string, code = 1000, reason = ''): Promise<boolean> {
    const socket = this.#sockets.get(id)
    if (!socket) return false
    socket.close(code, reason)
    return true
  }

  #info(socket: ServerSocket<any>): ConnectionInfo {
    return connectionInfo(socket, this.instanceId)
  }
}
