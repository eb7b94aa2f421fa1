import type { ServerSocket } from '../connection/socket.ts'

/** The mark of a member that left OPEN while still in the room: no longer counted or sent to. */
export const GONE = -1

/**
 * One room of a {@link MemoryHub}. A native publish (Bun) reaches every member in one
 * call, so the room counts its publishes once instead of each member counting its own:
 * each member keeps the room's count from when its own count last caught up.
 */
export class Room {
  /** Each member, with `published` as it was when the member's count last caught up (or GONE). */
  readonly members = new Map<ServerSocket<any>, number>()
  /** Native publishes to the whole room. */
  published = 0
  /** Members marked GONE (closing, not yet detached). */
  gone = 0

  /** How many members a publish reaches now. */
  get reachable(): number {
    return this.members.size - this.gone
  }

  /** Publishes that reached a member and are not in its own count yet. */
  pendingFor(socket: ServerSocket<any>): number {
    const mark = this.members.get(socket)
    return mark === undefined || mark === GONE ? 0 : this.published - mark
  }
}
