import type { Payload } from './local.ts'

/**
 * One message between instances: a one-line JSON header, a newline, then the payload
 * as it goes to the sockets (base64 when binary, so the channel carries text only).
 * The payload is not escaped into the header: a text payload crosses Redis unchanged.
 * A batch (kinds rb, ab) carries several payloads back to back after one header.
 */
export interface Header {
  /** The sending instance ('' for the reaper's announcements, which every instance takes). */
  f: string
  /**
   * r: room, a: all, i: ids, u: update data, d: disconnect, p: probe; rb, ab: a batch to a
   * room, to all (a kind of its own, which an earlier version ignores rather than misreads).
   */
  k: 'r' | 'a' | 'i' | 'u' | 'd' | 'p' | 'rb' | 'ab'
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
  /**
   * A batch (room, all): the body holds one payload per length, back to back (lengths in
   * UTF-16 code units, which survive UTF-8 both ways), each one message of this header.
   */
  l?: number[]
  /** A batch's ids left out, per message (absent: none left out of any). */
  xs?: string[][]
}

/** One delivery of a batch: its payload as text (base64 when binary) and the ids left out. */
export interface Part {
  text: string
  except: readonly string[]
}

/**
 * Deliveries of one kind to one channel, with one header: one message as it would go
 * alone, several as a batch (see {@link Header.l}), so a receiver parses one header for all.
 */
export function batch(header: Header & { k: 'r' | 'a' }, parts: readonly Part[]): string {
  if (parts.length === 1) return `${JSON.stringify({ ...header, x: parts[0]!.except })}\n${parts[0]!.text}`
  const l = new Array<number>(parts.length)
  /** The header (first), then the payloads. */
  const texts = new Array<string>(parts.length + 1)
  let excepts = false
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!
    l[i] = part.text.length
    texts[i + 1] = part.text
    if (part.except.length) excepts = true
  }
  const k = header.k === 'r' ? 'rb' : 'ab'
  const full: Header = excepts ? { ...header, k, l, xs: parts.map((part) => [...part.except]) } : { ...header, k, l }
  texts[0] = `${JSON.stringify(full)}\n`
  // Joined flat: a string grown by += is a deep rope, slow to write to the socket.
  return texts.join('')
}

/**
 * A message's header and payloads, each with the ids it leaves out: one for a single
 * message, one per part of a batch; undefined when malformed.
 */
export function decode(message: string): { header: Header; parts: { payload: Payload; except: readonly string[] }[] } | undefined {
  const cut = message.indexOf('\n')
  if (cut < 0) return undefined
  let header: Header
  try {
    header = JSON.parse(message.slice(0, cut))
  } catch {
    return undefined
  }
  if (!header || typeof header !== 'object' || typeof header.k !== 'string') return undefined
  const binary = header.b === 1
  const lengths = header.l
  if (header.k !== 'rb' && header.k !== 'ab') {
    const body = message.slice(cut + 1)
    return { header, parts: [{ payload: binary ? fromBase64(body) : body, except: Array.isArray(header.x) ? header.x : [] }] }
  }
  if (!Array.isArray(lengths)) return undefined
  // Each part is handled as one message of the plain kind.
  header.k = header.k === 'rb' ? 'r' : 'a'
  const parts: { payload: Payload; except: readonly string[] }[] = []
  const xs = Array.isArray(header.xs) ? header.xs : undefined
  let at = cut + 1
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i]
    if (!Number.isInteger(length) || length < 0 || at + length > message.length) return undefined
    const text = message.slice(at, at + length)
    at += length
    const except = xs?.[i]
    parts.push({ payload: binary ? fromBase64(text) : text, except: Array.isArray(except) ? except : [] })
  }
  return at === message.length ? { header, parts } : undefined
}

/**
 * How every message an instance publishes starts (its header's first keys are `f`, then
 * `k`; the scripts write theirs the same way): a receiver knows its own messages by it
 * without decoding them. The kind's first letter follows.
 */
export function senderMark(from: string): string {
  return `{"f":${JSON.stringify(from)},"k":"`
}

export function encode(header: Header, payload: Payload | ''): string {
  if (typeof payload === 'string') return `${JSON.stringify(header)}\n${payload}`
  return `${JSON.stringify({ ...header, b: 1 })}\n${toBase64(payload)}`
}

/** The payload as it will be sent: base64 for binary. */
export function payloadText(payload: Payload): { text: string; binary: 0 | 1 } {
  return typeof payload === 'string' ? { text: payload, binary: 0 } : { text: toBase64(payload), binary: 1 }
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
