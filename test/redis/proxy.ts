import { createServer, connect, type Server, type Socket } from 'node:net'

interface Link {
  client: Socket
  upstream: Socket
  subscriber: boolean
  deaf: boolean
}

/**
 * A TCP proxy in front of Redis that can make subscriber connections deaf: they stay
 * open and keep sending, but nothing Redis sends them arrives (a half-open connection,
 * as after a NAT or load balancer dropped its state).
 */
export class DeafeningProxy {
  readonly #links = new Set<Link>()

  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<DeafeningProxy> {
    let proxy!: DeafeningProxy
    const server = createServer((client) => proxy.#link(client, target))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    proxy = new DeafeningProxy(server, (server.address() as { port: number }).port)
    return proxy
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Deafens every subscriber connection open now; returns how many. */
  deafenSubscribers(): number {
    let count = 0
    for (const link of this.#links) {
      if (link.subscriber) {
        link.deaf = true
        count++
      }
    }
    return count
  }

  async close(): Promise<void> {
    for (const link of this.#links) {
      link.client.destroy()
      link.upstream.destroy()
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  #link(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect(target.port, target.host)
    const link: Link = { client, upstream, subscriber: false, deaf: false }
    this.#links.add(link)
    client.on('data', (chunk) => {
      if (/subscribe/i.test(chunk.toString('latin1'))) link.subscriber = true
      upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!link.deaf) client.write(chunk)
    })
    const end = () => {
      this.#links.delete(link)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', end)
    upstream.on('error', end)
  }
}
