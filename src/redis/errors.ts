import type { Delivered } from '../index.ts'

/**
 * Thrown (as a rejection) by RedisHub calls that need Redis while it cannot be reached:
 * not connected, or no answer within `commandTimeout`. Deliveries reach local sockets
 * first, so a failed `send` may still have delivered locally: `delivered` says how many.
 */
export class HubUnavailableError extends Error {
  override readonly name = 'HubUnavailableError'
  /** What a failed delivery handed to this instance's own sockets before failing. */
  readonly delivered: Delivered | undefined

  constructor(message: string, options?: { cause?: unknown; delivered?: Delivered }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.delivered = options?.delivered
  }
}
