/** How long to wait between reconnection attempts. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms (before jitter). Default 1000. */
  minDelay?: number
  /** The cap on any delay, in ms, jitter included. Default 10000. */
  maxDelay?: number
  /** Each retry waits this many times longer than the one before. Default 2. */
  factor?: number
  /**
   * Randomisation of every delay, as a fraction: 0.5 spreads each delay over ±50 % of
   * its nominal value, so clients dropped together do not all come back in the same
   * instant. 0 turns it off. Default 0.5.
   */
  jitter?: number
}

/** @internal */
export interface ResolvedBackoff {
  minDelay: number
  maxDelay: number
  factor: number
  jitter: number
}

/** @internal */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const resolved = {
    minDelay: options.minDelay ?? 1000,
    maxDelay: options.maxDelay ?? 10_000,
    factor: options.factor ?? 2,
    jitter: options.jitter ?? 0.5,
  }
  if (!(resolved.minDelay >= 0) || !(resolved.maxDelay >= resolved.minDelay)) {
    throw new RangeError(`reconnect: need 0 <= minDelay <= maxDelay (got ${resolved.minDelay}, ${resolved.maxDelay})`)
  }
  if (!(resolved.factor >= 1)) throw new RangeError(`reconnect: factor must be >= 1 (got ${resolved.factor})`)
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1)) throw new RangeError(`reconnect: jitter must be within 0..1 (got ${resolved.jitter})`)
  return resolved
}

/**
 * The delay before retry number `retry` (1 for the first retry after a drop):
 * `minDelay · factor^(retry-1)`, capped at `maxDelay`, then moved by up to ±`jitter` of
 * itself using `random()` (a number in [0, 1)), and capped again.
 */
export function backoffDelay(retry: number, options: ResolvedBackoff, random: () => number = Math.random): number {
  const nominal = Math.min(options.maxDelay, options.minDelay * options.factor ** Math.max(0, retry - 1))
  const spread = nominal * options.jitter * (2 * random() - 1)
  return Math.round(Math.min(options.maxDelay, Math.max(0, nominal + spread)))
}
