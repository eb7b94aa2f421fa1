const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

/**
 * Thrown by {@link Message.json} (and {@link Message.text} on invalid UTF-8) when a
 * message cannot be read as asked. A handler may catch it; if it escapes the handler,
 * the connection is closed with 1007 (invalid payload) rather than 1011.
 */
export class MessageFormatError extends Error {
  override readonly name = 'MessageFormatError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * Reported to the error hook when an envelope's `type` has no handler in `events` (and
 * there is no `message` hook to fall back to). The connection stays open.
 */
export class UnknownEventError extends Error {
  override readonly name = 'UnknownEventError'
  constructor(readonly type: string) {
    super(`no handler for event type ${JSON.stringify(type)}`)
  }
}

/**
 * One incoming WebSocket message. Text messages arrive as strings and binary ones as
 * bytes on every runtime; the helpers convert either way.
 */
export class Message {
  readonly #raw: string | Uint8Array
  #json: unknown = undefined
  #parsed = false

  /** A message from a string (a text frame) or bytes (a binary frame), as adapters hand them over. */
  constructor(raw: string | Uint8Array) {
    this.#raw = raw
  }

  /** True for a binary frame, false for a text frame. */
  get isBinary(): boolean {
    return typeof this.#raw !== 'string'
  }

  /**
   * The payload as the WHATWG `WebSocket` (binaryType `"arraybuffer"`) gives it:
   * a string for text, an `ArrayBuffer` for binary.
   */
  get data(): string | ArrayBuffer {
    const raw = this.#raw
    if (typeof raw === 'string') return raw
    if (raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer) {
      return raw.buffer
    }
    // Copy: a Buffer slice shares a larger pool, and Buffer#slice would not copy.
    return new Uint8Array(raw).buffer as ArrayBuffer
  }

  /** The payload as text (binary frames are decoded as UTF-8). */
  text(): string {
    const raw = this.#raw
    if (typeof raw === 'string') return raw
    try {
      return decoder.decode(raw)
    } catch (cause) {
      throw new MessageFormatError('message is not valid UTF-8 text', { cause })
    }
  }

  /**
   * The payload parsed as JSON. Throws {@link MessageFormatError} with the parser's
   * reason when it does not parse. The result is cached.
   */
  json<T = unknown>(): T {
    if (!this.#parsed) {
      const text = this.text()
      try {
        this.#json = JSON.parse(text)
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause)
        throw new MessageFormatError(`message is not valid JSON: ${reason}`, { cause })
      }
      this.#parsed = true
    }
    return this.#json as T
  }

  /** The payload as a plain `Uint8Array` (text is encoded as UTF-8). */
  bytes(): Uint8Array {
    const raw = this.#raw
    if (typeof raw === 'string') return encoder.encode(raw)
    // Node hands over Buffer; give every runtime the same plain Uint8Array view.
    return raw.constructor === Uint8Array ? raw : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
  }

  /** The payload's size in bytes (UTF-8 for text). */
  get size(): number {
    const raw = this.#raw
    return typeof raw === 'string' ? utf8Length(raw) : raw.byteLength
  }

  /** The payload exactly as the adapter handed it over. */
  get raw(): string | Uint8Array {
    return this.#raw
  }
}

/** The UTF-8 byte length of a string without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) continue
    if (code < 0x800) bytes += 1
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      // A surrogate pair is two UTF-16 units and four UTF-8 bytes.
      bytes += 2
      i++
    } else bytes += 2 // lone surrogates are encoded as U+FFFD, three bytes
  }
  return bytes
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

/** Whether a text or binary payload fits in `limit` bytes, counting text lazily. */
export function fitsIn(data: string | Uint8Array, limit: number): boolean {
  if (typeof data !== 'string') return data.byteLength <= limit
  // One UTF-16 unit is at most three UTF-8 bytes, so short strings need no count.
  if (data.length * 3 <= limit) return true
  if (data.length > limit) return false
  return utf8Length(data) <= limit
}
