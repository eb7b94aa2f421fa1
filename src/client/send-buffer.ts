/** Limits of the buffer that holds messages sent while the connection is down. */
export interface BufferOptions {
  /** At most this many messages. Default 100. */
  maxMessages?: number
  /** At most this many bytes in all (UTF-8 for text). Default 1 MiB. */
  maxBytes?: number
  /**
   * What happens to a message that does not fit:
   * - `"reject"` (default): the new message is refused (`send` returns false, `emit`
   *   returns false, `request` rejects with `RequestError` reason `"overflow"`), and a
   *   `drop` event reports it. What was queued earlier stays and goes out in order.
   * - `"drop-oldest"`: the oldest queued messages are dropped (each reported by a `drop`
   *   event, a dropped request rejects) until the new one fits.
   *
   * A single message larger than `maxBytes` is always refused.
   */
  overflow?: 'reject' | 'drop-oldest'
}

/** @internal A queued outgoing frame. */
export interface Queued {
  data: string | ArrayBufferLike | ArrayBufferView
  bytes: number
  /** The ack id of a request, so its timeout can take it back out. */
  ack?: number
}

const encoder = /* @__PURE__ */ new TextEncoder()

/** @internal Size of a frame's payload in bytes. */
export function byteSize(data: Queued['data']): number {
  if (typeof data === 'string') return encoder.encode(data).byteLength
  return data.byteLength
}

/** @internal A bounded FIFO of frames waiting for the connection to be ready. */
export class SendBuffer {
  readonly maxMessages: number
  readonly maxBytes: number
  readonly overflow: 'reject' | 'drop-oldest'
  private items: Queued[] = []
  private size = 0

  constructor(options: BufferOptions = {}) {
    this.maxMessages = options.maxMessages ?? 100
    this.maxBytes = options.maxBytes ?? 1024 * 1024
    this.overflow = options.overflow ?? 'reject'
    if (!(this.maxMessages >= 1) || !(this.maxBytes >= 1)) throw new RangeError('buffer: maxMessages and maxBytes must be >= 1')
    if (this.overflow !== 'reject' && this.overflow !== 'drop-oldest') throw new RangeError(`buffer: overflow must be "reject" or "drop-oldest"`)
  }

  get length(): number {
    return this.items.length
  }

  get bytes(): number {
    return this.size
  }

  /**
   * Queues `item`. Returns the items dropped to make room (oldest first) and whether
   * `item` itself was accepted.
   */
  push(item: Queued): { accepted: boolean; dropped: Queued[] } {
    if (item.bytes > this.maxBytes) return { accepted: false, dropped: [] }
    const fits = () => this.items.length < this.maxMessages && this.size + item.bytes <= this.maxBytes
    if (!fits() && this.overflow === 'reject') return { accepted: false, dropped: [] }
    const dropped: Queued[] = []
    while (!fits()) dropped.push(this.shift()!)
    this.items.push(item)
    this.size += item.bytes
    return { accepted: true, dropped }
  }

  shift(): Queued | undefined {
    const item = this.items.shift()
    if (item) this.size -= item.bytes
    return item
  }

  /** Takes a request's frame back out (its timeout passed before it could be sent). */
  removeAck(ack: number): boolean {
    const index = this.items.findIndex((item) => item.ack === ack)
    if (index < 0) return false
    this.size -= this.items[index]!.bytes
    this.items.splice(index, 1)
    return true
  }

  clear(): Queued[] {
    const items = this.items
    this.items = []
    this.size = 0
    return items
  }
}
