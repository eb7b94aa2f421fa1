import type { Connection } from './connection.ts'

/**
 * Counts the messages a runtime delivered natively (one topic publish for a whole room)
 * for the sockets of those rooms, so a publish costs no JavaScript per member: a
 * socket's `messagesOut` adds what its tally still holds for it. `MemoryHub` is the
 * tally of the sockets whose rooms it keeps.
 */
export interface OutTally {
  /** Native deliveries to this open socket that its own count does not hold yet. */
  pending(socket: Connection): number
  /**
   * The socket is leaving OPEN: the tally stops counting for it (it will not be sent to
   * again) and hands over what was pending.
   */
  settle(socket: Connection): number
}
