import { RequestError, type RequestFailure } from './errors.ts'
import type { Envelope } from './protocol.ts'
import type { Clock } from './types.ts'

interface Pending<S> {
  event: string
  resolve(value: unknown): void
  reject(error: RequestError): void
  timer: unknown
  /** The socket it went out on, once sent. */
  sentOn?: S
}

/** @internal The requests waiting for their `portsocket:ack`, by ack id. */
export class Requests<S> {
  private pending = new Map<number, Pending<S>>()
  private nextAck = 0

  constructor(private readonly clock: Clock) {}

  /**
   * Registers a request and returns its ack id. After `timeout` ms it rejects with
   * `timeout` and `onTimeout(ack)` runs (to take it out of the send buffer).
   */
  add(event: string, timeout: number, resolve: (value: unknown) => void, reject: (error: RequestError) => void, onTimeout: (ack: number) => void): number {
    const ack = this.nextAck++
    const timer = this.clock.setTimeout(() => {
      this.fail(ack, 'timeout', `no reply to "${event}" within ${timeout} ms`)
      onTimeout(ack)
    }, timeout)
    this.pending.set(ack, { event, resolve, reject, timer })
    return ack
  }

  has(ack: number): boolean {
    return this.pending.has(ack)
  }

  /** Records the socket a request went out on (a drop of that socket rejects it). */
  sent(ack: number, socket: S): boolean {
    const pending = this.pending.get(ack)
    if (pending) pending.sentOn = socket
    return pending !== undefined
  }

  /** Settles the request an ack answers; an ack for nothing pending (timed out) is ignored. */
  answer(envelope: Envelope): void {
    const ack = envelope.ack
    const pending = typeof ack === 'number' ? this.take(ack) : undefined
    if (!pending) return
    if (envelope.error) {
      const issues = envelope.error.issues ?? []
      pending.reject(new RequestError(issues.length > 0 ? 'invalid' : 'error', pending.event, envelope.error.message ?? 'request failed', issues))
    } else {
      pending.resolve(envelope.data)
    }
  }

  /** Rejects one request; `message` may use `{event}`. */
  fail(ack: number, reason: RequestFailure, message: string): void {
    const pending = this.take(ack)
    pending?.reject(new RequestError(reason, pending.event, message))
  }

  /** Rejects the requests sent on `socket`, which dropped: no reply can come now. */
  failSentOn(socket: S): void {
    for (const [ack, pending] of this.pending) {
      if (pending.sentOn === socket) this.fail(ack, 'disconnected', `the connection dropped before "${pending.event}" was answered`)
    }
  }

  /** Rejects every request (the client closed). */
  failAll(): void {
    for (const [ack, pending] of this.pending) this.fail(ack, 'closed', `the client closed before "${pending.event}" was answered`)
  }

  private take(ack: number): Pending<S> | undefined {
    const pending = this.pending.get(ack)
    if (!pending) return undefined
    this.clock.clearTimeout(pending.timer)
    this.pending.delete(ack)
    return pending
  }
}
