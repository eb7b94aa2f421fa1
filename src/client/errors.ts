import type { Issue } from './protocol.ts'

/** Why a {@link RequestError} happened. */
export type RequestFailure =
  /** No reply within the timeout (a request still in the send buffer is taken back out). */
  | 'timeout'
  /** The server rejected the data (`issues` says why). */
  | 'invalid'
  /** The server answered with an error. */
  | 'error'
  /** The connection dropped after the request went out; the server may or may not have handled it. */
  | 'disconnected'
  /** The send buffer was full (see `buffer.overflow`). */
  | 'overflow'
  /** The client was closed (by `close()` or a stop code) before a reply came. */
  | 'closed'

/** A `request()` that did not get a reply. */
export class RequestError extends Error {
  override name = 'RequestError'
  constructor(
    /** Why. */
    readonly reason: RequestFailure,
    /** The request's event. */
    readonly event: string,
    message: string,
    /** For `invalid`: the server's issues (message and path; never the input). */
    readonly issues: Issue[] = [],
  ) {
    super(message)
  }
}

/** Reported to `error` listeners when the server rejected an event's data (`portsocket:invalid`). */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError'
  constructor(
    readonly event: string,
    readonly issues: Issue[],
  ) {
    super(`the server rejected the data of "${event}": ${issues.map((issue) => issue.message).join('; ') || 'invalid data'}`)
  }
}
