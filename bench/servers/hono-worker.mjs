// Hono's Workers helper inside a Durable Object (sockets must share one place to relay).
import { upgradeWebSocket } from 'hono/cloudflare-workers'
import { honoApp } from './hono-app.mjs'
const app = honoApp(upgradeWebSocket)
export class Sockets {
  fetch(req) {
    return app.fetch(req)
  }
}
export default {
  fetch(req, env) {
    return env.SOCKETS.get(env.SOCKETS.idFromName('bench')).fetch(req)
  },
}
