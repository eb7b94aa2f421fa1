/** A per-connection token bucket: `burst` messages at once, refilled at `perSecond`. */
export interface RateLimit {
  /** How many messages may arrive back to back. */
  burst: number
  /** How many tokens come back each second. */
  perSecond: number
  /**
   * What happens to a message over the limit: `"close"` (the default) closes the
   * connection with 1008; `"drop"` discards the message and reports a
   * {@link RateLimitError} to the error hook, keeping the connection open.
   */
  onExceeded?: 'close' | 'drop'
}

/** Reported to the error hook when a message goes over the connection's rate limit. */
export class RateLimitError extends Error {
  override readonly name = 'RateLimitError'
}

/** The state of one connection's bucket; kept as two numbers so idle sockets stay small. */
export class TokenBucket {
  #tokens: number
  #at: number

  constructor(readonly limit: RateLimit) {
    this.#tokens = limit.burst
    this.#at = Date.now()
  }

  /** Takes one token; false when the bucket is empty. */
  take(now = Date.now()): boolean {
    const { burst, perSecond } = this.limit
    const elapsed = now - this.#at
    if (elapsed > 0) {
      this.#tokens = Math.min(burst, this.#tokens + (elapsed * perSecond) / 1000)
      this.#at = now
    }
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
