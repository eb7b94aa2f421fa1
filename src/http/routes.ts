import type { SocketHooks } from '../connection/hooks.ts'
import type { SocketOptions } from './options.ts'

/** A `websocket()` route whose hooks can be found again after its server object was gone. */
export interface Route {
  readonly id: string
  readonly hooks: SocketHooks<any>
  readonly options: SocketOptions<any>
}

/**
 * The `websocket()` routes that have an `id` and object hooks, by id. A Durable Object
 * that wakes from hibernation finds each socket's hooks here by the id saved with it;
 * an id stays the same across deploys, where the order of definition would not.
 * Registering an id again replaces the entry, so the registry never grows with repeats.
 */
const routes = new Map<string, Route>()

export function registerRoute(id: string, hooks: SocketHooks<any>, options: SocketOptions<any>): Route {
  const route = { id, hooks, options }
  routes.set(id, route)
  return route
}

export function routeById(id: string): Route | undefined {
  return routes.get(id)
}

/** How many routes are registered (for tests of the registry's bound). */
export function routeCount(): number {
  return routes.size
}
