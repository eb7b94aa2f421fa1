/**
 * The room and `all` deliveries of one turn of the event loop, sent to Redis as one
 * script call (`sendBatch`) instead of one call each. Under load an instance handles
 * many messages per turn (every socket that had data), and one round trip for all of
 * them costs a fraction of one per message, on this instance, on Redis, and on every
 * instance that receives them (one pub/sub message per run of a channel, not per send).
 */
import { frame } from './wire.ts'

/** A delivery waiting for the next flush: where it goes and what the other instances get. */
export interface Outgoing {
  /** `r`: a room's channel; `a`: the channel every instance hears. */
  kind: 'r' | 'a'
  /** The room ('' for `a`). */
  room: string
  /** The encoded message (wire.ts), as one delivery would publish it. */
  message: string
  /** Ids left out (to subtract those on other instances from the count). */
  except: readonly string[]
}

interface Queued extends Outgoing {
  resolve(count: number): void
  reject(error: unknown): void
}

/** Runs `sendBatch` with these arguments (after the prefix and instance id). */
export type BatchRunner = (args: string[]) => Promise<unknown>

/** Defers to after the current turn's I/O callbacks where the runtime can (Node, Bun, Deno), else to a microtask. */
const later: (run: () => void) => void =
  typeof (globalThis as any).setImmediate === 'function' ? (run) => void (globalThis as any).setImmediate(run) : queueMicrotask

export class SendBatch {
  #queue: Queued[] = []
  #scheduled = false

  constructor(
    readonly instanceId: string,
    readonly runner: BatchRunner,
  ) {}

  /** Queues a delivery; resolves with the recipients on other live instances once its batch went out. */
  add(outgoing: Outgoing): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ ...outgoing, resolve, reject })
      if (this.#scheduled) return
      this.#scheduled = true
      later(() => this.flush())
    })
  }

  /**
   * Sends what is queued now, as one call. Every other Redis call of the hub calls this
   * first, so calls still reach Redis in the order they were made.
   */
  flush(): void {
    this.#scheduled = false
    const queue = this.#queue
    if (!queue.length) return
    this.#queue = []
    const args: string[] = []
    // One frame per run of consecutive deliveries to one channel: order is kept, since
    // one subscriber connection hears its channels' messages in the order they were published.
    for (let start = 0; start < queue.length; ) {
      const { kind, room } = queue[start]!
      let end = start + 1
      while (end < queue.length && queue[end]!.kind === kind && queue[end]!.room === room) end++
      const run = queue.slice(start, end)
      args.push(kind, room, frame(this.instanceId, run.map((q) => q.message)), String(run.length))
      for (const q of run) args.push(String(q.except.length), ...q.except)
      start = end
    }
    let sent: Promise<unknown>
    try {
      sent = this.runner(args)
    } catch (error) {
      sent = Promise.reject(error)
    }
    sent.then(
      (reply) => {
        const counts = Array.isArray(reply) ? reply : []
        queue.forEach((q, i) => q.resolve(Number(counts[i] ?? 0)))
      },
      (error) => {
        for (const q of queue) q.reject(error)
      },
    )
  }
}
