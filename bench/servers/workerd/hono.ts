/**
 * Hono's Workers helper (hono/cloudflare-workers upgradeWebSocket) inside a Durable
 * Object, so that the chat members share one Set. The helper accepts sockets with
 * `accept()` (no hibernation) and never calls onOpen: members join with a first message.
 */
import { upgradeWebSocket } from 'hono/cloudflare-workers'
import type { Hono } from 'hono'
import { honoApp } from '../shared/hono-app.ts'

interface Env {
  HONO: { idFromName(name: string): unknown; get(id: unknown): { fetch(request: Request): Promise<Response> } }
}

export class HonoObject {
  readonly app: Hono = honoApp(upgradeWebSocket, true)
  fetch(request: Request): Response | Promise<Response> {
    return this.app.fetch(request)
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.HONO.get(env.HONO.idFromName('bench')).fetch(request)
  },
}
