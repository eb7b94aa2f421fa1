import type { Subscriber } from './client.ts'

/**
 * The channels this instance wants, kept on one subscriber connection that can be
 * replaced (a deaf subscriber). Subscribe and unsubscribe calls run one after another,
 * so a quick leave-then-join of a room ends subscribed.
 */
export class Subscriptions {
  readonly #wanted = new Set<string>()
  #queue: Promise<void> = Promise.resolve()
  #subscriber: Subscriber
  #closed = false

  constructor(
    readonly open: () => Subscriber,
    readonly timeoutMs: number,
    readonly onError: (error: unknown) => void,
  ) {
    this.#subscriber = this.#connect()
  }

  get ready(): boolean {
    return this.#subscriber.ready
  }

  /** Subscribes to a channel; resolves once Redis confirmed, or gave up within the timeout. */
  ensure(channel: string): Promise<void> {
    if (this.#wanted.has(channel)) return this.#queue
    this.#wanted.add(channel)
    return this.#enqueue(() => (this.#wanted.has(channel) ? this.#subscriber.subscribe([channel]) : undefined))
  }

  /** Unsubscribes, unless the channel is wanted again by the time the call runs. */
  release(channel: string): void {
    if (!this.#wanted.delete(channel)) return
    void this.#enqueue(() => (this.#wanted.has(channel) ? undefined : this.#subscriber.unsubscribe([channel])))
  }

  /** Drops the subscriber connection and opens a new one with every wanted channel. */
  replace(): void {
    if (this.#closed) return
    const old = this.#subscriber
    this.#subscriber = this.#connect()
    try {
      old.close()
    } catch (error) {
      this.onError(error)
    }
  }

  close(): void {
    this.#closed = true
    this.#subscriber.close()
  }

  #connect(): Subscriber {
    const subscriber = this.open()
    // Both clients resubscribe by themselves after a reconnect; subscribing again to
    // everything wanted also covers a fresh connection and a lost call. It is idempotent.
    subscriber.onReady(() => {
      if (this.#subscriber === subscriber && !this.#closed) void this.#enqueue(() => subscriber.subscribe([...this.#wanted]))
    })
    return subscriber
  }

  #enqueue(work: () => Promise<void> | undefined): Promise<void> {
    const run = async () => {
      // While disconnected, a call would sit in the client's offline queue; the ready
      // handler above subscribes to everything once the connection is back instead.
      if (!this.#subscriber.ready || this.#closed) return
      await withTimeout(work(), this.timeoutMs).catch(this.onError)
    }
    return (this.#queue = this.#queue.then(run, run))
  }
}

function withTimeout(promise: Promise<void> | undefined, ms: number): Promise<void> {
  if (!promise) return Promise.resolve()
  let timer: ReturnType<typeof setTimeout>
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not confirm a subscription within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
