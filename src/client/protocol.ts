/**
 * The wire protocol shared by the client and the server: JSON envelopes
 * `{ "type": event, "data": data }`, with `"ack": id` on a request. Types starting with
 * `portsocket:` are reserved for the control messages below.
 */

/** Prefix of reserved message types. */
export const RESERVED_PREFIX = 'portsocket:'
/** The server's answer to a request: `{ type, ack, data }` or `{ type, ack, error }`. */
export const ACK = 'portsocket:ack'
/** The server's reply to an event without `ack` whose data failed validation: `{ type, data: { event, issues } }`. */
export const INVALID = 'portsocket:invalid'
/** The server's app-level ping (route option `heartbeat: { app: true }`); the client answers {@link PONG}. */
export const PING = 'portsocket:ping'
/** The client's answer to {@link PING}. */
export const PONG = 'portsocket:pong'

/** One validation problem, as the server reports it: never the input itself. */
export interface Issue {
  message: string
  path?: (string | number)[]
}

/** @internal An incoming envelope (any JSON object with a string `type`). */
export interface Envelope {
  type: string
  data?: unknown
  ack?: number
  error?: { message: string; issues?: Issue[] }
}

/** @internal The envelope in a text frame, or undefined for anything else. */
export function parseEnvelope(data: unknown): Envelope | undefined {
  if (typeof data !== 'string' || data.length === 0 || data[0] !== '{') return undefined
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object' || typeof (value as Envelope).type !== 'string') return undefined
  return value as Envelope
}

/** @internal */
export function encodeEnvelope(type: string, data: unknown, ack?: number): string {
  return JSON.stringify(ack === undefined ? { type, data } : { type, data, ack })
}
