import { spawn, type ChildProcess } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort } from '../support/runtimes.ts'

/** A private redis-server (no persistence) on a free port, for tests that kill and restart Redis. */
export class PrivateRedis {
  #process: ChildProcess | undefined

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort())
    await redis.restart()
    return redis
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts (again) on the same port and resolves once it answers PING. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    this.#process = child
    const deadline = Date.now() + 10_000
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
      probe.on('error', () => {})
      try {
        await probe.connect()
        if ((await probe.ping()) === 'PONG') return
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}`)
        await new Promise((r) => setTimeout(r, 50))
      } finally {
        probe.disconnect()
      }
    }
  }

  /** SIGKILL: the connections drop at once, and the data is gone. */
  async kill(): Promise<void> {
    const child = this.#process
    if (!child || child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
  }
}
