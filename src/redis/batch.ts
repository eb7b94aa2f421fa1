/**
 * The room and `all` deliveries of one turn of the event loop, sent to Redis as one
 * script call (`sendBatch`) instead of one call each. Under load an instance handles
 * many messages per turn (every socket that had data), and one round trip for all of
 * them costs a fraction of one per message, on this instance and on Redis; each run of
 * deliveries to one channel is one pub/sub message with one header (wire.ts), so every
 * instance that receives it parses one header, not one per delivery.
 */
import type { Delivered } from '../index.ts'
import { batch, type Header, type Part } from './wire.ts'

/** A delivery waiting for the next flush. */
interface Queued extends Part {
  /** `r`: a room's channel; `a`: the channel every instance hears. */
  kind: 'r' | 'a'
  /** The room ('' for `a`). */
  room: string
  /** 1 when `text` is base64 of binary data. */
  binary: 0 | 1
  /** What the local part of the delivery delivered (made before the send was queued). */
  here: Delivered
  resolve: (delivered: Delivered) => void
  reject: (error: unknown) => void
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
    /** Turns a failure into what the caller gets, given what was delivered locally. */
    readonly failure: (error: unknown, delivered: Delivered) => unknown,
  ) {}

  /**
   * Queues a delivery whose local part delivered `here`; resolves with the local count plus the
   * recipients on other live instances, once its batch went out.
   */
  add(kind: 'r' | 'a', room: string, text: string, binary: 0 | 1, except: readonly string[], here: Delivered): Promise<Delivered> {
    const item = { kind, room, text, binary, except, here } as Queued
    const done = new Promise<Delivered>((resolve, reject) => {
      item.resolve = resolve
      item.reject = reject
    })
    this.#queue.push(item)
    if (!this.#scheduled) {
      this.#scheduled = true
      later(() => this.flush())
    }
    return done
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
    /** Per frame: where its deliveries start in the queue. */
    const starts: number[] = []
    // One frame per run of consecutive deliveries to one channel (and of one kind of
    // payload): order is kept, since one subscriber connection hears its channels'
    // messages in the order they were published.
    for (let start = 0; start < queue.length; ) {
      const { kind, room, binary } = queue[start]!
      let end = start + 1
      while (end < queue.length && queue[end]!.kind === kind && queue[end]!.room === room && queue[end]!.binary === binary) end++
      const run = queue.slice(start, end)
      const header: Header & { k: 'r' | 'a' } = kind === 'r' ? { f: this.instanceId, k: 'r', room } : { f: this.instanceId, k: 'a' }
      if (binary) header.b = 1
      const excepted: string[] = []
      let listed = 0
      for (let i = 0; i < run.length; i++) {
        const except = run[i]!.except
        if (!except.length) continue
        listed++
        excepted.push(String(i + 1), String(except.length), ...except)
      }
      args.push(kind, room, batch(header, run), String(run.length), String(listed), ...excepted)
      starts.push(start)
      start = end
    }
    let sent: Promise<unknown>
    try {
      sent = this.runner(args)
    } catch (error) {
      sent = Promise.reject(error)
    }
    sent.then(
      (reply) => settle(queue, starts, Array.isArray(reply) ? reply : []),
      (error) => {
        for (const q of queue) q.reject(this.failure(error, q.here))
      },
    )
  }
}

/** Resolves each delivery from the reply: per frame, the count of its deliveries, then (index, count) of those with ids left out. */
function settle(queue: Queued[], starts: number[], reply: unknown[]): void {
  let at = 0
  for (let f = 0; f < starts.length; f++) {
    const start = starts[f]!
    const end = starts[f + 1] ?? queue.length
    const base = Number(reply[at++] ?? 0)
    const listed = Number(reply[at++] ?? 0)
    const counts = new Map<number, number>()
    for (let i = 0; i < listed; i++) counts.set(Number(reply[at++]), Number(reply[at++] ?? 0))
    for (let i = start; i < end; i++) {
      const q = queue[i]!
      const count = counts.get(i - start + 1) ?? base
      q.resolve({ delivered: q.here.delivered + count, missing: [] })
    }
  }
}
