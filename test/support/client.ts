import WebSocket from 'ws'

/** One message as the test client received it. */
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
  timeoutMs?: number
}

/** A real `ws` client whose every wait has a deadline. */
export class TestClient {
  readonly #queue: Received[] = []
  readonly #waiters: ((msg: Received) => void)[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  #isClosed = false

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const msg = { data: isBinary ? data : data.toString(), isBinary }
      const waiter = this.#waiters.shift()
      if (waiter) waiter(msg)
      else this.#queue.push(msg)
    })
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.#isClosed = true
        resolve({ code, reason: reason.toString() })
      })
    })
    ws.on('error', () => {}) // the close that follows carries what a test checks
  }

  get protocol(): string {
    return this.ws.protocol
  }

  get isOpen(): boolean {
    return !this.#isClosed && this.ws.readyState === WebSocket.OPEN
  }

  /** Messages received and not yet taken with next(). */
  get pending(): number {
    return this.#queue.length
  }

  send(data: string | Uint8Array | ArrayBuffer): void {
    this.ws.send(data)
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value))
  }

  next(timeoutMs = 5000): Promise<Received> {
    const queued = this.#queue.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const waiter = (msg: Received) => {
        clearTimeout(timer)
        resolve(msg)
      }
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter)
        if (at >= 0) this.#waiters.splice(at, 1)
        reject(new Error(`no message within ${timeoutMs} ms (socket ${this.isOpen ? 'open' : 'closed'})`))
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  /**
   * The first message (queued or still to come) that `match` accepts; the others stay
   * queued, in order, for next().
   */
  nextMatching(match: (msg: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    const at = this.#queue.findIndex(match)
    if (at >= 0) return Promise.resolve(this.#queue.splice(at, 1)[0]!)
    return new Promise((resolve, reject) => {
      const onMessage = (data: Buffer, isBinary: boolean) => {
        const msg = { data: isBinary ? data : data.toString(), isBinary }
        if (!match(msg)) return
        const index = this.#queue.indexOf(this.#queue.find((m) => m.data === msg.data && m.isBinary === isBinary)!)
        if (index >= 0) this.#queue.splice(index, 1)
        cleanup()
        resolve(msg)
      }
      const cleanup = () => {
        clearTimeout(timer)
        this.ws.off('message', onMessage)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`no matching message within ${timeoutMs} ms; queued: ${JSON.stringify(this.#queue.map((m) => String(m.data).slice(0, 80)))}`))
      }, timeoutMs)
      this.ws.on('message', onMessage)
    })
  }

  /** The next JSON envelope `{ type, data }` of this type; other messages stay queued. */
  async nextEvent<T = any>(type: string, timeoutMs?: number): Promise<T> {
    const msg = await this.nextMatching((m) => !m.isBinary && envelopeType(m.data as string) === type, timeoutMs)
    return JSON.parse(msg.data as string).data as T
  }

  /** Sends a JSON envelope `{ type, data }`. */
  emit(type: string, data?: unknown): void {
    this.sendJson({ type, data })
  }

  async nextText(timeoutMs?: number): Promise<string> {
    const msg = await this.next(timeoutMs)
    if (msg.isBinary) throw new Error('expected a text message, got binary')
    return msg.data as string
  }

  async nextJson(timeoutMs?: number): Promise<unknown> {
    return JSON.parse(await this.nextText(timeoutMs))
  }

  close(code?: number, reason?: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason)
  }

  waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return withTimeout(this.closed, timeoutMs, 'the socket to close')
  }

  /** Stops reading from the TCP socket, as a slow consumer would. */
  pause(): void {
    ;(this.ws as unknown as { _socket: import('node:net').Socket })._socket.pause()
  }

  resume(): void {
    ;(this.ws as unknown as { _socket: import('node:net').Socket })._socket.resume()
  }
}

/** Opens a client, rejecting with the server's status, headers and body on refusal. */
export function connect(url: string, options: ConnectOptions = {}): Promise<TestClient> {
  const headers = { ...options.headers }
  const ws = new WebSocket(url, options.protocols ?? [], {
    headers,
    origin: options.origin,
    autoPong: options.autoPong ?? true,
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
  })
  const client = new TestClient(ws)
  const opened = new Promise<TestClient>((resolve, reject) => {
    ws.once('open', () => resolve(client))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        const error = Object.assign(new Error(`upgrade refused with ${res.statusCode}: ${body}`), {
          status: res.statusCode,
          headers: res.headers,
          body,
        })
        reject(error)
      })
    })
    ws.once('error', reject)
  })
  return withTimeout(opened, options.timeoutMs ?? 10_000, `a connection to ${url}`)
}

/** Polls `check` until it holds. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
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
