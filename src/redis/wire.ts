import type { Payload } from './local.ts'

/**
 * One message between instances: a one-line JSON header, a newline, then the payload
 * as it goes to the sockets (base64 when binary, so the channel carries text only).
 * The payload is not escaped into the header: a text payload crosses Redis unchanged.
 */
export interface Header {
  /** The sending instance ('' for the reaper's announcements, which every instance takes). */
  f: string
  /** r: room, a: all, i: ids, u: update data, d: disconnect, p: probe, b: a batch of messages (see {@link frame}). */
  k: 'r' | 'a' | 'i' | 'u' | 'd' | 'p' | 'b'
  /** 1 when the payload is base64 of binary data. */
  b?: 0 | 1
  room?: string
  /** Ids left out (room, all). */
  x?: string[]
  /** Recipients (ids), or the one connection (update, disconnect). */
  ids?: string[]
  id?: string
  /** Close code and reason (disconnect). */
  c?: number
  r?: string
  /** Probe sequence number. */
  n?: number
  /** The lengths of a batch's messages (UTF-16 code units, which survive UTF-8 both ways). */
  l?: number[]
}

/**
 * Several encoded messages for one channel as one: a batch header with each message's
 * length, then the messages back to back. One message goes as it is.
 */
export function frame(from: string, messages: readonly string[]): string {
  if (messages.length === 1) return messages[0]!
  return `${JSON.stringify({ f: from, k: 'b', l: messages.map((m) => m.length) })}\n${messages.join('')}`
}

/** The messages of a batch (the body after its header); [] when the lengths do not add up. */
export function unframe(lengths: unknown, body: string): string[] {
  if (!Array.isArray(lengths)) return []
  const out: string[] = []
  let at = 0
  for (const length of lengths) {
    if (!Number.isInteger(length) || length < 0 || at + length > body.length) return []
    out.push(body.slice(at, at + length))
    at += length
  }
  return at === body.length ? out : []
}

export function encode(header: Header, payload: Payload | ''): string {
  if (typeof payload === 'string') return `${JSON.stringify(header)}\n${payload}`
  return `${JSON.stringify({ ...header, b: 1 })}\n${toBase64(payload)}`
}

/** The payload as it will be sent: base64 for binary. */
export function payloadText(payload: Payload): { text: string; binary: 0 | 1 } {
  return typeof payload === 'string' ? { text: payload, binary: 0 } : { text: toBase64(payload), binary: 1 }
}

export function decode(message: string): { header: Header; payload: Payload } | undefined {
  const cut = message.indexOf('\n')
  if (cut < 0) return undefined
  let header: Header
  try {
    header = JSON.parse(message.slice(0, cut))
  } catch {
    return undefined
  }
  if (!header || typeof header !== 'object' || typeof header.k !== 'string') return undefined
  const body = message.slice(cut + 1)
  return { header, payload: header.b === 1 ? fromBase64(body) : body }
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
