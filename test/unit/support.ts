import type { SocketHooks } from '../../src/connection/hooks.ts'
import { Connection } from '../../src/connection/connection.ts'
import { resolveOptions, type SocketOptions } from '../../src/http/options.ts'
import { Runtime } from '../../src/runtime/runtime.ts'
import type { Transport } from '../../src/runtime/transport.ts'

export class FakeRuntime extends Runtime {
  readonly name = 'fake'
  protected accept() {
    return undefined
  }
}

/** A transport that records what the core asked of it. */
export class FakeTransport implements Transport {
  sent: (string | Uint8Array)[] = []
  closes: [number, string][] = []
  terminated = 0
  pings = 0
  pauses = 0
  resumes = 0
  bufferedAmount = 0
  extensions = ''
  checksLiveness = false
  send(data: string | Uint8Array) {
    this.sent.push(data)
  }
  close(code: number, reason: string) {
    this.closes.push([code, reason])
  }
  terminate() {
    this.terminated++
  }
  ping() {
    this.pings++
  }
  /** Text messages sent, parsed as JSON. */
  json(): unknown[] {
    return this.sent.filter((s): s is string => typeof s === 'string').map((s) => JSON.parse(s))
  }
}

export class PausingTransport extends FakeTransport {
  pause() {
    this.pauses++
  }
  resume() {
    this.resumes++
  }
}

export function make<D = any>(options: SocketOptions = {}, hooks?: SocketHooks<D>, transport: FakeTransport = new FakeTransport()) {
  const socket = new Connection<D>({ url: 'ws://x/', protocol: '', data: {} as D, options: resolveOptions(options), hooks })
  const runtime = new FakeRuntime()
  return {
    socket,
    transport,
    runtime,
    open: () => runtime.open(socket, transport),
    received: (data: string | Uint8Array) => runtime.received(socket, data),
    detached: (code: number, reason: string, error?: unknown) => runtime.detached(socket, code, reason, error),
  }
}

/** Resolves after the pending microtasks and one macrotask. */
export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

/** A promise and its resolver, to hold an async hook open. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void
  const promise = new Promise<void>((r) => (open = r))
  return { promise, open }
}
