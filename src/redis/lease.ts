/** Lease timing: how long an instance's entries outlive its last renewal, and how often it renews. */
export interface LeaseTiming {
  /** Lease length in ms. */
  ttl: number
  /** Renewal period in ms (also the reaper's and the probe's period). */
  renew: number
}

export const DEFAULT_LEASE_TTL = 15_000

export function leaseTiming(ttl = DEFAULT_LEASE_TTL, renew?: number): LeaseTiming {
  if (!Number.isFinite(ttl) || ttl < 1000) throw new RangeError('RedisHub: leaseTtl must be at least 1000 ms')
  const period = renew ?? Math.floor(ttl / 3)
  if (!Number.isFinite(period) || period <= 0 || period * 2 > ttl) {
    throw new RangeError('RedisHub: renewInterval must be positive and at most half of leaseTtl')
  }
  return { ttl, renew: period }
}

/**
 * Detects a deaf subscriber: each renewal publishes a numbered probe on the instance's
 * own channel. The subscriber is deaf when Redis reports nobody subscribed to that
 * channel, or when two probes older than the newest never came back, on two renewals
 * in a row (one slow renewal is not enough).
 */
export class Probe {
  #sent = 0
  #seen = 0
  #suspect = 0

  next(): number {
    return ++this.#sent
  }

  heard(n: number): void {
    if (n > this.#seen) this.#seen = n
  }

  /** After a renewal: `subscribers` is what PUBLISH of probe `n` returned. True when the subscriber should be replaced. */
  check(subscribers: number): boolean {
    const suspect = subscribers === 0 || this.#seen < this.#sent - 2
    this.#suspect = suspect ? this.#suspect + 1 : 0
    if (this.#suspect < 2) return false
    // A fresh connection gets a fresh start.
    this.#suspect = 0
    this.#seen = this.#sent
    return true
  }
}
