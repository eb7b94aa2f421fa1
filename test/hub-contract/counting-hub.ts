// A third-party hub, written only against portsocket's published declarations: it
// wraps MemoryHub and counts what the runtime asks of it. Compiled by
// test/unit/hub-contract.test.ts with `strict` and `skipLibCheck: false`.
import { MemoryHub, type ConnectionInfo, type Delivered, type FanOut, type Hub, type Recipients, type Runtime, type SendData, type ServerSocket } from 'portsocket'

// The contracts must be in the published declarations (none of it stripped as internal).
export type HubContract = [Hub['attach'], Hub['detach'], Hub['restore'], Hub['bind'], Hub['close']]
export type AdapterContract = [Runtime['open'], Runtime['received'], Runtime['ponged'], Runtime['detached'], ServerSocket['options']]

export class CountingHub implements Hub {
  readonly calls: Record<string, number> = {}
  readonly seenOptions: { presence: boolean; maxRooms: number }[] = []
  readonly #inner = new MemoryHub()

  #count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1
  }

  get instanceId(): string {
    return this.#inner.instanceId
  }
  bind(fanOut: FanOut): void {
    this.#count('bind')
    this.#inner.bind(fanOut)
  }
  attach(socket: ServerSocket<any>): void {
    this.#count('attach')
    // A hub reads the route's resolved options from the socket.
    this.seenOptions.push({ presence: socket.options.presence, maxRooms: socket.options.maxRooms })
    this.#inner.attach(socket)
  }
  detach(socket: ServerSocket<any>): void {
    this.#count('detach')
    this.#inner.detach(socket)
  }
  restore(socket: ServerSocket<any>, rooms: readonly string[]): void {
    this.#count('restore')
    this.#inner.restore(socket, rooms)
  }
  join(socket: ServerSocket<any>, room: string): Promise<void> {
    this.#count('join')
    return this.#inner.join(socket, room)
  }
  leave(socket: ServerSocket<any>, room: string): Promise<void> {
    this.#count('leave')
    return this.#inner.leave(socket, room)
  }
  send(to: Recipients, data: SendData): Promise<Delivered> {
    this.#count('send')
    return this.#inner.send(to, data)
  }
  connections(): Promise<ConnectionInfo[]> {
    return this.#inner.connections()
  }
  connection(id: string): Promise<ConnectionInfo | undefined> {
    return this.#inner.connection(id)
  }
  rooms(): Promise<string[]> {
    return this.#inner.rooms()
  }
  members(room: string): Promise<ConnectionInfo[]> {
    return this.#inner.members(room)
  }
  update(id: string, data: unknown): Promise<boolean> {
    return this.#inner.update(id, data)
  }
  disconnect(id: string, code?: number, reason?: string): Promise<boolean> {
    return this.#inner.disconnect(id, code, reason)
  }
  async close(): Promise<void> {
    this.#count('close')
  }
}
