/**
 * The close codes portsocket itself uses, named after RFC 6455 §7.4.1.
 * Application codes belong in 4000–4999.
 */
export const CloseCode = {
  /** A normal close. */
  Normal: 1000,
  /** The server is shutting down or the peer went away (also idle and heartbeat timeouts). */
  GoingAway: 1001,
  /** Abnormal closure: the transport dropped without a close frame. Never sent, only reported. */
  Abnormal: 1006,
  /** A message was not what the handler could parse (malformed JSON, invalid text). */
  InvalidPayload: 1007,
  /** Policy violation: the connection went over its message rate. */
  PolicyViolation: 1008,
  /** A message was larger than `maxMessageSize`. */
  MessageTooBig: 1009,
  /** A handler threw or rejected. */
  InternalError: 1011,
  /** Slow consumer: the connection's outgoing buffer went over `maxBufferedAmount`. */
  TryAgainLater: 1013,
} as const

import { utf8Length } from './message.ts'

/**
 * Throws a RangeError unless `code` and `reason` fit a close frame the application may
 * send: a sendable code and at most 123 bytes of UTF-8. What `socket.close` and a hub's
 * `disconnect` check before anything is closed.
 */
export function checkCloseArguments(code: number, reason: string): void {
  if (!isSendableCloseCode(code)) throw new RangeError(`close code ${code} cannot be sent`)
  if (utf8Length(reason) > 123) throw new RangeError('close reason is longer than 123 bytes')
}

/** Whether a code may be sent in a close frame by the application (RFC 6455 §7.4): an integer in those ranges. */
export function isSendableCloseCode(code: number): boolean {
  // A close frame carries an unsigned 16-bit integer: 3000.5 is in range, and no code.
  if (!Number.isInteger(code)) return false
  return code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006)
}
