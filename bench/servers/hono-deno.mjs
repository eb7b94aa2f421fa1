import { upgradeWebSocket } from 'hono/deno'
import { honoApp } from './hono-app.mjs'
import { exitWithParent, port } from './lifetime.mjs'
const app = honoApp(upgradeWebSocket)
Deno.serve({ port, hostname: '127.0.0.1', onListen() {} }, app.fetch)
exitWithParent()
