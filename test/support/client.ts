import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import WebSocket from 'ws'

/** One message as the test client received it: text as a string, binary as a Buffer. */
export interface Received {
  data: string | Buffer
  isBinary: boolean
}

export interface ConnectOptions {
  protocols?: string | string[]
  headers?: Record<string, string>
  origin?: string
  /** Answer pings (default true); false simulates a peer that died without closing. */
  autoPong?: boolean
  /** Deadline for the whole handshake, refusal body included (default 10 s). */
  timeoutMs?: number
}

export interface CloseInfo {
  code: number
  reason: string
}

/** What `connect` rejects with when the server answers the upgrade with plain HTTP. */
export interface UpgradeRefusedError extends Error {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export type UpgradeResult =
  | { ok: true; client: TestClient; protocol: string; headers: IncomingHttpHeaders }
  | { ok: false; status: number; headers: IncomingHttpHeaders; body: string }

interface Waiter {
  match: (msg: Received) => boolean
  resolve: (msg: Received) => void
  reject: (error: Error) => void
}

/**
 * A real `ws` client whose every wait has a deadline. Messages are queued from the moment
 * the socket exists, so nothing received before a `next()` call is lost.
 */
export class TestClient {
  readonly closed: Promise<CloseInfo>
  /** Headers of the 101 response (empty until the handshake completed). */
  upgradeHeaders: IncomingHttpHeaders = {}
  readonly #queue: Received[] = []
  readonly #waiters: Waiter[] = []
  #closeInfo: CloseInfo | undefined
  #lastError: Error | undefined

  constructor(readonly ws: WebSocket) {
    ws.on('upgrade', (res: IncomingMessage) => {
      this.upgradeHeaders = res.headers
    })
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
      const msg: Received = { data: isBinary ? buffer : buffer.toString('utf8'), isBinary }
      const at = this.#waiters.findIndex((w) => w.match(msg))
      if (at >= 0) this.#waiters.splice(at, 1)[0]!.resolve(msg)
      else this.#queue.push(msg)
    })
    // Errors are followed by 'close', which is what tests check; keep the last one for messages.
    ws.on('error', (error) => {
      this.#lastError = error
    })
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        this.#closeInfo = { code, reason: reason.toString('utf8') }
        // ws emits every received message before 'close': nothing can arrive any more.
        for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#closedError('a message'))
        resolve(this.#closeInfo)
      })
    })
  }

  /** The subprotocol the server selected ('' if none). */
  get protocol(): string {
    return this.ws.protocol
  }

  get isOpen(): boolean {
    return this.#closeInfo === undefined && this.ws.readyState === WebSocket.OPEN
  }

  /** Messages received and not yet taken. */
  get pending(): number {
    return this.#queue.length
  }

  send(data: string | Buffer | Uint8Array | ArrayBuffer): void {
    this.ws.send(data)
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value))
  }

  /** The oldest message not yet taken, waiting up to `timeoutMs` for one to arrive. */
  next(timeoutMs = 5000): Promise<Received> {
    return this.nextMatching(() => true, timeoutMs, 'a message')
  }

  /**
   * The first message (queued or still to come) that `match` accepts; the others stay
   * queued, in order.
   */
  nextMatching(match: (msg: Received) => boolean, timeoutMs = 5000, what = 'a matching message'): Promise<Received> {
    const at = this.#queue.findIndex(match)
    if (at >= 0) return Promise.resolve(this.#queue.splice(at, 1)[0]!)
    if (this.#closeInfo) return Promise.reject(this.#closedError(what))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (msg) => {
          clearTimeout(timer)
          resolve(msg)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter)
        if (index >= 0) this.#waiters.splice(index, 1)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (socket ${this.#state()}; ${this.#describeQueue()})`))
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  async nextText(timeoutMs?: number): Promise<string> {
    const msg = await this.next(timeoutMs)
    if (msg.isBinary) throw new Error(`expected a text message, got ${(msg.data as Buffer).length} binary bytes`)
    return msg.data as string
  }

  async nextJson<T = any>(timeoutMs?: number): Promise<T> {
    const text = await this.nextText(timeoutMs)
    try {
      return JSON.parse(text) as T
    } catch {
      throw new Error(`expected a JSON message, got ${JSON.stringify(text.slice(0, 200))}`)
    }
  }

  /** The `data` of the next JSON envelope `{ type, data }` of this type; other messages stay queued. */
  async nextEvent<T = any>(type: string, timeoutMs?: number): Promise<T> {
    const msg = await this.nextMatching((m) => !m.isBinary && envelopeType(m.data as string) === type, timeoutMs, `an event of type "${type}"`)
    return JSON.parse(msg.data as string).data as T
  }

  /** Sends a JSON envelope `{ type, data }`. */
  emit(type: string, data?: unknown): void {
    this.sendJson({ type, data })
  }

  /** Starts the closing handshake (no-op once closing or closed). */
  close(code?: number, reason?: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason)
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate()
  }

  /** Resolves with the close code and reason once the socket closed. */
  waitClosed(timeoutMs = 5000): Promise<CloseInfo> {
    return withTimeout(this.closed, timeoutMs, () => `the socket to close (it is ${this.#state()}; ${this.#describeQueue()})`)
  }

  /** Stops reading from the TCP socket, as a slow consumer would: the server's sends back up. */
  pause(): void {
    this.#socket().pause()
  }

  resume(): void {
    this.#socket().resume()
  }

  #socket(): Socket {
    const socket = (this.ws as unknown as { _socket?: Socket | null })._socket
    if (!socket) throw new Error(`the client has no TCP socket (it is ${this.#state()})`)
    return socket
  }

  #state(): string {
    if (this.#closeInfo) return `closed with ${this.#closeInfo.code} "${this.#closeInfo.reason}"`
    return ['connecting', 'open', 'closing', 'closed'][this.ws.readyState] ?? 'unknown'
  }

  #closedError(what: string): Error {
    const error = this.#lastError ? `; last error: ${this.#lastError.message}` : ''
    return new Error(`the socket ${this.#state()} while waiting for ${what} (${this.#describeQueue()}${error})`)
  }

  #describeQueue(): string {
    if (this.#queue.length === 0) return 'nothing queued'
    const shown = this.#queue.slice(0, 5).map((m) => (m.isBinary ? `<${(m.data as Buffer).length} binary bytes>` : String(m.data).slice(0, 80)))
    return `queued: ${JSON.stringify(shown)}${this.#queue.length > 5 ? ` and ${this.#queue.length - 5} more` : ''}`
  }
}

/**
 * Opens a client and resolves once it is open. Rejects with an `UpgradeRefusedError`
 * (status, headers, body) when the server answers with plain HTTP, with the socket error
 * otherwise, and with a timeout error after `timeoutMs`.
 */
export function connect(url: string, options: ConnectOptions = {}): Promise<TestClient> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const ws = new WebSocket(url, options.protocols ?? [], {
    headers: { ...options.headers },
    origin: options.origin,
    autoPong: options.autoPong ?? true,
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
    handshakeTimeout: timeoutMs,
  })
  const client = new TestClient(ws)
  let refusal: { status: number; headers: IncomingHttpHeaders; body: string } | undefined
  return new Promise<TestClient>((resolve, reject) => {
    const timer = setTimeout(() => {
      const seen = refusal ? ` (the server answered ${refusal.status} but its body never ended)` : ''
      fail(new Error(`timed out after ${timeoutMs} ms connecting to ${url}${seen}`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      ws.off('open', onOpen)
      ws.off('error', onError)
    }
    const fail = (error: Error) => {
      done()
      ws.terminate()
      reject(error)
    }
    const onOpen = () => {
      done()
      resolve(client)
    }
    const onError = (error: Error) => fail(new Error(`connecting to ${url} failed: ${error.message}`, { cause: error }))
    ws.once('open', onOpen)
    ws.once('error', onError)
    ws.once('unexpected-response', (_req, res) => {
      refusal = { status: res.statusCode ?? 0, headers: res.headers, body: '' }
      const chunks: Buffer[] = []
      let finished = false
      const finish = () => {
        if (finished) return
        finished = true
        const body = Buffer.concat(chunks).toString('utf8')
        const error = new Error(`upgrade to ${url} refused with ${res.statusCode}: ${body.slice(0, 500)}`) as UpgradeRefusedError
        error.status = res.statusCode ?? 0
        error.headers = res.headers
        error.body = body
        fail(error)
      }
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('end', finish)
      res.once('error', finish)
      res.once('close', finish)
    })
  })
}

/**
 * Attempts an upgrade. Resolves `{ ok: true, client, protocol, headers }` with the 101's
 * headers, or `{ ok: false, status, headers, body }` when the server refused with plain
 * HTTP. Only network failures and timeouts reject.
 */
export async function tryUpgrade(url: string, options: ConnectOptions = {}): Promise<UpgradeResult> {
  try {
    const client = await connect(url, options)
    return { ok: true, client, protocol: client.protocol, headers: client.upgradeHeaders }
  } catch (error) {
    if (isUpgradeRefused(error)) return { ok: false, status: error.status, headers: error.headers, body: error.body }
    throw error
  }
}

export function isUpgradeRefused(error: unknown): error is UpgradeRefusedError {
  return error instanceof Error && typeof (error as Partial<UpgradeRefusedError>).status === 'number' && 'body' in error
}

/** Polls `check` every 25 ms until it holds; rejects naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      if (await check()) return
      lastError = undefined
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last check threw: ${lastError.message})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`)
    }
    await new Promise((r) => setTimeout(r, 25))
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what()}`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

function envelopeType(text: string): string | undefined {
  if (!text.startsWith('{')) return undefined
  try {
    const parsed = JSON.parse(text)
    return typeof parsed?.type === 'string' ? parsed.type : undefined
  } catch {
    return undefined
  }
}
