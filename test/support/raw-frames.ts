/**
 * A raw RFC 6455 client for protocol probes: it writes handshakes and frames byte by byte
 * over `net`, so tests can send what no WebSocket client would (reserved bits, unmasked
 * frames, bad close payloads, lengths that are only declared), and it parses the server's
 * frames just enough to read data, pongs and close codes. Test-only; never used by src/.
 */
import { randomBytes } from 'node:crypto'
import { connect as netConnect, type Socket } from 'node:net'

export const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const

/** One frame as the server sent it. */
export interface ServerFrame {
  fin: boolean
  rsv: number
  opcode: number
  masked: boolean
  payload: Buffer
}

/** What a client frame looks like on the wire; everything can be made wrong on purpose. */
export interface FrameSpec {
  opcode: number
  payload?: Buffer | Uint8Array | string
  /** Default true. */
  fin?: boolean
  /** The three reserved bits, as a number 0–7 (RSV1 = 4). Default 0. */
  rsv?: number
  /** Default true: clients must mask. */
  mask?: boolean
  /** A length to declare instead of the payload's real one. */
  declaredLength?: number | bigint
  /** Force the 7-bit, 16-bit or 64-bit length form. */
  lengthForm?: 7 | 16 | 64
}

/** Encodes a client frame (masked unless told otherwise). */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : Buffer.from(spec.payload ?? [])
  const mask = spec.mask ?? true
  const length = BigInt(spec.declaredLength ?? payload.length)
  const form = spec.lengthForm ?? (length < 126n ? 7 : length < 65536n ? 16 : 64)
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f)]
  const maskBit = mask ? 0x80 : 0
  let extended = Buffer.alloc(0)
  if (form === 7) head.push(maskBit | Number(length))
  else if (form === 16) {
    head.push(maskBit | 126)
    extended = Buffer.alloc(2)
    extended.writeUInt16BE(Number(length))
  } else {
    head.push(maskBit | 127)
    extended = Buffer.alloc(8)
    extended.writeBigUInt64BE(length)
  }
  if (!mask) return Buffer.concat([Buffer.from(head), extended, payload])
  const key = randomBytes(4)
  const masked = Buffer.alloc(payload.length)
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ key[i & 3]!
  return Buffer.concat([Buffer.from(head), extended, key, masked])
}

/** A close frame's payload: a 2-byte code and a reason (or any bytes, for probes). */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const head = Buffer.alloc(2)
  head.writeUInt16BE(code)
  return Buffer.concat([head, typeof reason === 'string' ? Buffer.from(reason) : reason])
}

/** How a raw connection ended, seen from the client. */
export interface Ending {
  /** The close frame's code (1005 when it carried none), or undefined when none came. */
  code: number | undefined
  reason: string
  /** 'end': the server closed TCP cleanly; 'reset': ECONNRESET or similar; 'timeout': still open. */
  how: 'end' | 'reset' | 'timeout'
  /** Every non-close frame received before the end, in order. */
  frames: ServerFrame[]
}

export interface HandshakeAnswer {
  status: number
  headers: Record<string, string>
  /** Bytes after the header block (a refusal's body, or the first frames). */
  rest: Buffer
}

export interface RawOptions {
  /** Extra or replacement request headers; a value of null leaves that header out. */
  headers?: Record<string, string | null>
  timeoutMs?: number
}

/**
 * A WebSocket connection driven by hand. `frames` collects what the server sent; a close
 * frame from the server is answered with a close frame (as a well-behaved client would),
 * unless `answerClose` is turned off.
 */
export class RawConnection {
  readonly frames: ServerFrame[] = []
  answerClose = true
  #buffer: Buffer = Buffer.alloc(0)
  #close: { code: number | undefined; reason: string } | undefined
  #sentClose = false
  #ended: 'end' | 'reset' | undefined
  #wake: (() => void)[] = []

  constructor(
    readonly socket: Socket,
    readonly handshake: HandshakeAnswer,
  ) {
    socket.on('data', (chunk: Buffer) => this.#take(chunk))
    socket.on('end', () => this.#finish('end'))
    socket.on('close', (hadError) => this.#finish(hadError ? 'reset' : 'end'))
    socket.on('error', () => this.#finish('reset'))
    if (handshake.rest.length) this.#take(handshake.rest)
    socket.resume()
  }

  /** Writes raw bytes. Errors (the server already gone) are ignored: the ending tells. */
  write(bytes: Buffer | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes, () => {})
  }

  send(spec: FrameSpec): void {
    if (spec.opcode === Opcode.Close) this.#sentClose = true
    this.write(encodeFrame(spec))
  }

  sendText(text: string | Buffer): void {
    this.send({ opcode: Opcode.Text, payload: text })
  }

  /** The server's close frame, once received. */
  get closeFrame(): { code: number | undefined; reason: string } | undefined {
    return this.#close
  }

  get ended(): boolean {
    return this.#ended !== undefined
  }

  /** The next data or control frame (not close), waiting up to `timeoutMs`. */
  async nextFrame(timeoutMs = 5000, match: (f: ServerFrame) => boolean = () => true): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const at = this.frames.findIndex(match)
      if (at >= 0) return this.frames.splice(at, 1)[0]!
      if (this.#ended || this.#close) throw new Error(`connection ${this.#describe()} before the expected frame arrived`)
      if (!(await this.#waitChange(deadline))) throw new Error(`no matching frame within ${timeoutMs} ms (${this.#describe()})`)
    }
  }

  async nextText(timeoutMs = 5000): Promise<string> {
    const frame = await this.nextFrame(timeoutMs, (f) => f.opcode === Opcode.Text || f.opcode === Opcode.Binary)
    return frame.payload.toString('utf8')
  }

  /** Waits for the connection to end (TCP closed) and reports how, with the close code. */
  async ending(timeoutMs = 5000): Promise<Ending> {
    const deadline = Date.now() + timeoutMs
    while (!this.#ended) {
      if (!(await this.#waitChange(deadline))) break
    }
    const result: Ending = {
      code: this.#close?.code,
      reason: this.#close?.reason ?? '',
      how: this.#ended ?? 'timeout',
      frames: [...this.frames],
    }
    if (!this.#ended) this.socket.destroy()
    return result
  }

  destroy(): void {
    this.socket.destroy()
  }

  #describe(): string {
    const close = this.#close ? `closed with ${this.#close.code} "${this.#close.reason}"` : 'no close frame'
    return `${this.#ended ? `ended (${this.#ended})` : 'open'}, ${close}, ${this.frames.length} frames queued`
  }

  #waitChange(deadline: number): Promise<boolean> {
    const left = deadline - Date.now()
    if (left <= 0) return Promise.resolve(false)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = this.#wake.filter((w) => w !== wake)
        resolve(false)
      }, left)
      const wake = () => {
        clearTimeout(timer)
        resolve(true)
      }
      this.#wake.push(wake)
    })
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake()
  }

  #finish(how: 'end' | 'reset'): void {
    this.#ended ??= how
    this.#notify()
  }

  #take(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk
    for (;;) {
      const frame = parseFrame(this.#buffer)
      if (!frame) break
      this.#buffer = this.#buffer.subarray(frame.size)
      if (frame.frame.opcode === Opcode.Close && !this.#close) {
        const payload = frame.frame.payload
        this.#close = {
          code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
          reason: payload.subarray(2).toString('utf8'),
        }
        // A close frame answering ours needs no answer.
        if (this.answerClose && !this.#sentClose) this.write(encodeFrame({ opcode: Opcode.Close, payload: payload.subarray(0, 2) }))
      } else if (frame.frame.opcode !== Opcode.Close) {
        this.frames.push(frame.frame)
      }
    }
    this.#notify()
  }
}

/** Parses one server frame from the start of `buffer`, or undefined if it is incomplete. */
export function parseFrame(buffer: Buffer): { frame: ServerFrame; size: number } | undefined {
  if (buffer.length < 2) return undefined
  const b0 = buffer[0]!
  const b1 = buffer[1]!
  let length = b1 & 0x7f
  let offset = 2
  if (length === 126) {
    if (buffer.length < 4) return undefined
    length = buffer.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    if (buffer.length < 10) return undefined
    length = Number(buffer.readBigUInt64BE(2))
    offset = 10
  }
  const masked = (b1 & 0x80) !== 0
  const key = masked ? buffer.subarray(offset, offset + 4) : undefined
  if (masked) offset += 4
  if (buffer.length < offset + length) return undefined
  let payload = Buffer.from(buffer.subarray(offset, offset + length))
  if (key) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i & 3]!
  return {
    frame: { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload },
    size: offset + length,
  }
}

/** The request head of a WebSocket handshake for `url`, with `headers` merged in. */
export function handshakeRequest(url: string, headers: Record<string, string | null> = {}): string {
  const target = new URL(url.replace(/^ws/, 'http'))
  const all: Record<string, string | null> = {
    host: target.host,
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': randomBytes(16).toString('base64'),
    'sec-websocket-version': '13',
  }
  for (const [key, value] of Object.entries(headers)) all[key.toLowerCase()] = value
  const lines = Object.entries(all)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}: ${value}`)
  return `GET ${target.pathname}${target.search} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}

/**
 * Opens a TCP connection, writes `request` (in the given pieces, with `delayMs` between
 * them, to play a slow client), and resolves with the parsed answer head and the socket.
 */
export function sendHandshake(
  url: string,
  request: string | Buffer[],
  { timeoutMs = 5000, delayMs = 0 }: { timeoutMs?: number; delayMs?: number } = {},
): Promise<{ socket: Socket; answer: HandshakeAnswer }> {
  const target = new URL(url.replace(/^ws/, 'http'))
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(target.port), target.hostname)
    socket.setNoDelay(true)
    let received = Buffer.alloc(0)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete answer to the handshake within ${timeoutMs} ms (got ${JSON.stringify(received.toString('latin1').slice(0, 200))})`))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      const end = received.indexOf('\r\n\r\n')
      if (end < 0) return
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
      socket.pause()
      const [statusLine, ...headerLines] = received.subarray(0, end).toString('latin1').split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      const status = Number(statusLine!.split(' ')[1])
      // Paused until a RawConnection (or the caller) listens for what follows.
      resolve({ socket, answer: { status, headers, rest: received.subarray(end + 4) } })
    }
    const onClose = () => {
      clearTimeout(timer)
      reject(new Error(`the server closed the connection during the handshake (got ${JSON.stringify(received.toString('latin1').slice(0, 200))})`))
    }
    socket.on('data', onData)
    socket.once('close', onClose)
    socket.once('error', () => {})
    const pieces = typeof request === 'string' ? [Buffer.from(request, 'latin1')] : request
    ;(async () => {
      for (const [i, piece] of pieces.entries()) {
        if (socket.destroyed) return
        if (i > 0 && delayMs) await new Promise((r) => setTimeout(r, delayMs))
        socket.write(piece)
      }
    })()
  })
}

/** Opens a raw WebSocket connection; rejects unless the server answers 101. */
export async function openRaw(url: string, options: RawOptions = {}): Promise<RawConnection> {
  const { socket, answer } = await sendHandshake(url, handshakeRequest(url, options.headers), { timeoutMs: options.timeoutMs })
  if (answer.status !== 101) {
    socket.destroy()
    throw new Error(`expected 101 from ${url}, got ${answer.status}`)
  }
  return new RawConnection(socket, answer)
}
