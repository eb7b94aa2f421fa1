import type { Message } from './message.ts'

/** The limits of one connection's inbound queue (see `SocketOptions.inboundQueue`). */
export interface QueueLimits {
  maxMessages: number
  maxBytes: number
}

/** What {@link InboundQueue.admit} decided for one message. */
export type Admission = 'ok' | 'pause' | 'overflow'

/**
 * The budget of messages that arrived but that the application has not taken yet:
 * those waiting behind an async hook, and those an iterator has not pulled. It is
 * bounded by count and bytes. At the limit the runtime's reads are paused where it can
 * (`pause`), and resumed once the queue has drained to half; where it cannot pause the
 * next message overflows and the connection is closed (1008). A paused runtime still
 * hands over what it had already read (ws parses the whole chunk it holds, so up to one
 * read of tiny messages): those are accepted up to twice `maxBytes`, then overflow too.
 */
export class InboundQueue {
  #count = 0
  #bytes = 0
  #paused = false
  readonly #waiting: Message[] = []

  constructor(readonly limits: QueueLimits) {}

  get count(): number {
    return this.#count
  }

  get bytes(): number {
    return this.#bytes
  }

  get paused(): boolean {
    return this.#paused
  }

  /** Messages waiting for the hooks, oldest first. */
  get length(): number {
    return this.#waiting.length
  }

  /**
   * Accounts for one more held message. `canPause` says whether the runtime can stop
   * reading; `pause` in the answer asks the caller to do so now.
   */
  admit(size: number, canPause: boolean): Admission {
    const { maxMessages, maxBytes } = this.limits
    const full = this.#count >= maxMessages || this.#bytes >= maxBytes
    if (full) {
      // Paused reads still deliver what the runtime had read already (bounded by its read
      // size): allow that slack, in bytes.
      const slack = this.#paused && this.#bytes + size <= 2 * maxBytes
      if (!slack) return 'overflow'
    }
    this.#count++
    this.#bytes += size
    if (!this.#paused && canPause && (this.#count >= maxMessages || this.#bytes >= maxBytes)) {
      this.#paused = true
      return 'pause'
    }
    return 'ok'
  }

  /** Releases one held message; true when reads should resume now. */
  release(size: number): boolean {
    this.#count--
    this.#bytes -= size
    if (this.#paused && this.#count <= this.limits.maxMessages / 2 && this.#bytes <= this.limits.maxBytes / 2) {
      this.#paused = false
      return true
    }
    return false
  }

  /** Queues a message for the hooks. */
  push(message: Message): void {
    this.#waiting.push(message)
  }

  /** The next message for the hooks. */
  shift(): Message | undefined {
    return this.#waiting.shift()
  }

  /** Empties the hook queue (the connection is closing); returns what was dropped. */
  drain(): Message[] {
    return this.#waiting.splice(0)
  }
}
