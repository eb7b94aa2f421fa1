import type { Runtime } from './runtime.ts'

const served = new WeakMap<Request, Runtime<any>>()

/** Marks a request as served by `runtime`, for `sockets(c)` and `upgrade(c)`. */
export function markServed(request: Request, runtime: Runtime<any>): void {
  served.set(request, runtime)
}

/** The runtime that is serving a request, if any. */
export function runtimeOf(request: Request): Runtime<any> | undefined {
  return served.get(request)
}
