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

  /** A member joins: publishes before now are not counted for it. */
  add(socket: ServerSocket<any>): void {
    this.members.set(socket, this.published)
  }

  /** Counts one native publish to the whole room, `skip` left out; returns the members it reached. */
  countPublish(skip: ServerSocket<any> | undefined): number {
    this.published++
    let reached = this.reachable
    const mark = skip && this.members.get(skip)
    if (mark !== undefined && mark !== GONE) {
      // The sender was left out: move its mark on so this publish is not counted for it.
      this.members.set(skip!, mark + 1)
      reached--
    }
    return reached
  }

  /** Publishes that reached a member and are not in its own count yet. */
  pendingFor(socket: ServerSocket<any>): number {
    const mark = this.members.get(socket)
    return mark === undefined || mark === GONE ? 0 : this.published - mark
  }

  /** A member left OPEN: it is no longer reached nor counted; returns what it had pending. */
  settle(socket: ServerSocket<any>): number {
    const pending = this.pendingFor(socket)
    const mark = this.members.get(socket)
    if (mark !== undefined && mark !== GONE) {
      this.members.set(socket, GONE)
      this.gone++
    }
    return pending
  }

  /** A member leaves the room: returns what it had pending; undefined when it was not a member. */
  remove(socket: ServerSocket<any>): number | undefined {
    const mark = this.members.get(socket)
    if (mark === undefined) return undefined
    this.members.delete(socket)
    if (mark === GONE) {
      this.gone--
      return 0
    }
    return this.published - mark
  }
}
