import { utf8Length } from './message.ts'

/** What `send` accepts: text, or binary in any of the usual shapes. */
export type SendData = string | ArrayBuffer | ArrayBufferView

/** A message as adapters hand it over and transports send it: a string for text, bytes for binary. */
export type Payload = string | Uint8Array

/** Normalises what `send` accepts to what a transport sends. */
export function toPayload(data: SendData): Payload {
  if (typeof data === 'string' || data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  throw new TypeError('send() takes a string, an ArrayBuffer or an ArrayBufferView')
}

/** A payload's size in bytes (UTF-8 for text). */
export function payloadSize(payload: Payload): number {
  return typeof payload === 'string' ? utf8Length(payload) : payload.byteLength
}

/** The largest WebSocket frame header (a server's frames are not masked): 2 + 8 bytes, with slack. */
const FRAME_HEADER = 14

/**
 * A payload's largest possible size on the wire, frame header included, without
 * measuring its UTF-8 (a UTF-16 unit is at most 3 bytes of it): the slow-consumer cap's bound.
 */
export function wireBound(payload: Payload): number {
  return (typeof payload === 'string' ? payload.length * 3 : payload.byteLength) + FRAME_HEADER
}

/** Clips a close reason to the 123 bytes a close frame can carry. */
export function clip(reason: string): string {
  if (utf8Length(reason) <= 123) return reason
  let out = reason.slice(0, 120)
  while (utf8Length(out) > 120) out = out.slice(0, -1)
  return `${out}...`
}
