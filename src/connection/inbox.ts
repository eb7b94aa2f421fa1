import type { Message } from './message.ts'

/**
 * The queue behind `for await (const message of socket)`. `taken` is called for each
 * message the iterator hands out, so the connection's inbound budget is released as the
 * consumer keeps pace.
 */
export class Inbox implements AsyncIterator<Message> {
  #items: Message[] = []
  #waiting: ((result: IteratorResult<Message>) => void) | undefined
  #ended = false

  constructor(readonly taken: (message: Message) => void) {}

  /** Messages handed over and not yet taken. */
  get held(): readonly Message[] {
    return this.#items
  }

  push(message: Message): boolean {
    if (this.#ended) return false
    const waiting = this.#waiting
    if (waiting) {
      this.#waiting = undefined
      this.taken(message)
      waiting({ value: message, done: false })
      return false
    }
    this.#items.push(message)
    return true
  }

  end(): void {
    this.#ended = true
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.({ value: undefined, done: true })
  }

  next(): Promise<IteratorResult<Message>> {
    const item = this.#items.shift()
    if (item) {
      this.taken(item)
      return Promise.resolve({ value: item, done: false })
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => (this.#waiting = resolve))
  }

  return(): Promise<IteratorResult<Message>> {
    for (const item of this.#items) this.taken(item)
    this.#items = []
    this.end()
    return Promise.resolve({ value: undefined, done: true })
  }
}
