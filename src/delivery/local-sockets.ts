import type { ServerSocket } from '../connection/socket.ts'

/**
 * What a hub may read of a runtime's open sockets: a read-only set, and each socket by id.
 * A runtime hands it over with its fan-out (`FanOut.sockets`).
 */
export interface SocketRegistry extends ReadonlySet<ServerSocket<any>> {
  /** The open socket with this id, if any. */
  get(id: string): ServerSocket<any> | undefined
}

/**
 * The open sockets of one runtime, keyed by id: the one collection behind
 * `server.sockets`, the sweep's watch list and the hub's local lookups. Every collection a
 * socket is entered in costs memory per connection (on Bun, 33 to 131 bytes of heap per
 * entry by how full the table is; about 105 at 5,000 entries), so each socket has one
 * entry here rather than one per part that needs to find it.
 *
 * A read-only `Set` of sockets to everyone else: `has`, `size`, iteration and `forEach`,
 * with a Set's iteration order (insertion) and its tolerance of deletes while iterating.
 */
export class LocalSockets implements SocketRegistry {
  readonly #byId = new Map<string, ServerSocket<any>>()

  get size(): number {
    return this.#byId.size
  }

  get(id: string): ServerSocket<any> | undefined {
    return this.#byId.get(id)
  }

  has(socket: ServerSocket<any>): boolean {
    // As a Set answers for anything, `undefined` included: only a member is found.
    return socket != null && this.#byId.get(socket.id) === socket
  }

  /** Enters an open socket (replacing any other with its id, as a hub's registry did). */
  add(socket: ServerSocket<any>): void {
    this.#byId.set(socket.id, socket)
  }

  /** Removes the socket; false when it was not here. */
  delete(socket: ServerSocket<any>): boolean {
    if (this.#byId.get(socket.id) !== socket) return false
    return this.#byId.delete(socket.id)
  }

  values(): SetIterator<ServerSocket<any>> {
    return this.#byId.values()
  }

  keys(): SetIterator<ServerSocket<any>> {
    return this.#byId.values()
  }

  *entries(): SetIterator<[ServerSocket<any>, ServerSocket<any>]> {
    for (const socket of this.#byId.values()) yield [socket, socket]
  }

  forEach(callback: (value: ServerSocket<any>, key: ServerSocket<any>, set: ReadonlySet<ServerSocket<any>>) => void, thisArg?: unknown): void {
    for (const socket of this.#byId.values()) callback.call(thisArg, socket, socket, this)
  }

  [Symbol.iterator](): SetIterator<ServerSocket<any>> {
    return this.#byId.values()
  }

  get [Symbol.toStringTag](): string {
    return 'LocalSockets'
  }
}

/**
 * A hub's view of its local sockets: the registry of the runtime that bound it, so a
 * socket has no second entry in the hub. A hub used alone keeps a registry of its own; so
 * does a hub a second runtime binds (one hub shared by two servers), holding both
 * runtimes' sockets from then on, as it did before registries were shared.
 */
export class HubSockets {
  #view: SocketRegistry
  /** The registry the hub keeps itself; undefined while it uses a runtime's. */
  #own: LocalSockets | undefined
  /** A second runtime bound the hub: it keeps its own registry for good. */
  #shared = false

  constructor(registry?: SocketRegistry) {
    this.#view = registry ?? (this.#own = new LocalSockets())
  }

  /** The local sockets, by id. */
  get view(): SocketRegistry {
    return this.#view
  }

  /** A runtime bound the hub (before any of its sockets attaches), with its registry, if it has one. */
  bind(registry: SocketRegistry | undefined): void {
    if (!registry || registry === this.#view || this.#shared) return
    if (this.#own && this.#own.size === 0) {
      this.#view = registry
      this.#own = undefined
      return
    }
    // Sockets the hub already knows (attached alone, or another runtime's) stay known.
    const own = new LocalSockets()
    for (const socket of this.#view) own.add(socket)
    this.#view = this.#own = own
    this.#shared = true
  }

  /** A socket attached to the hub. */
  attached(socket: ServerSocket<any>): void {
    this.#own?.add(socket)
  }

  /**
   * A socket detached from the hub: false when the hub's own registry never held it. A
   * runtime's registry has removed it already (and detaches each socket once).
   */
  detached(socket: ServerSocket<any>): boolean {
    return this.#own ? this.#own.delete(socket) : true
  }
}
