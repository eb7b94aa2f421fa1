import type { Clock } from '../../../src/client/index.ts'

/** A manual clock: timers fire only when the test advances time. */
export class FakeClock implements Clock {
  now = 0
  private timers = new Map<number, { at: number; callback: () => void }>()
  private nextId = 1

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { at: this.now + ms, callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Pending timer delays from now, soonest first. */
  get pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.now).sort((a, b) => a - b)
  }

  /** Advances time by `ms`, firing due timers in order (and letting promises settle between them). */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms
    for (;;) {
      await flush()
      let next: [number, { at: number; callback: () => void }] | undefined
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry
      if (!next) break
      this.timers.delete(next[0])
      this.now = next[1].at
      next[1].callback()
    }
    this.now = end
    await flush()
  }
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

/**
 * A WebSocket that the test drives: `accept()`, `refuse()`, `serverClose()`,
 * `receive()`. Every instance is recorded in `FakeWebSocket.all`.
 */
export class FakeWebSocket {
  static all: FakeWebSocket[] = []
  static reset(): void {
    FakeWebSocket.all = []
  }
  /** Sockets not yet closed (CONNECTING or OPEN). */
  static get live(): FakeWebSocket[] {
    return FakeWebSocket.all.filter((ws) => ws.readyState < 2)
  }
  static get last(): FakeWebSocket {
    return FakeWebSocket.all.at(-1)!
  }

  readyState = 0
  binaryType = 'blob'
  sent: unknown[] = []
  closedWith: { code?: number; reason?: string } | undefined
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeWebSocket.all.push(this)
  }

  send(data: unknown): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open')
    this.sent.push(data)
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return
    this.closedWith = { code, reason }
    this.readyState = 3
    // The close event comes later, as in a browser (after the handshake).
    queueMicrotask(() => this.onclose?.({ code: code ?? 1005, reason: reason ?? '', wasClean: true }))
  }

  /** The server accepted the upgrade. */
  accept(): void {
    this.readyState = 1
    this.onopen?.({})
  }

  /** The connection attempt failed (server down): error, then close 1006. */
  refuse(): void {
    this.readyState = 3
    this.onerror?.({})
    this.onclose?.({ code: 1006, reason: '', wasClean: false })
  }

  /** The server closed the connection. */
  serverClose(code: number, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason, wasClean: code !== 1006 })
  }

  receive(data: unknown): void {
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) })
  }

  /** The JSON envelopes sent so far. */
  get envelopes(): { type: string; data?: unknown; ack?: number }[] {
    return this.sent.map((frame) => JSON.parse(frame as string))
  }
}
