import type { Runtime } from './runtime.ts'

// A property of the request rather than a WeakMap entry: every request is marked and
// none is unmarked, so a WeakMap grew (and rehashed) with dead entries between collections.
const servedBy = Symbol('portsocket.servedBy')
type Marked = Request & { [servedBy]?: Runtime<any> }

/** Marks a request as served by `runtime`, for `sockets(c)` and `upgrade(c)`. */
export function markServed(request: Request, runtime: Runtime<any>): void {
  ;(request as Marked)[servedBy] = runtime
}

/** The runtime that is serving a request, if any. */
export function runtimeOf(request: Request): Runtime<any> | undefined {
  return (request as Marked)[servedBy]
}
