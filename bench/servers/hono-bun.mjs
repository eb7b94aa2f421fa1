import { upgradeWebSocket, websocket } from 'hono/bun'
import { honoApp } from './hono-app.mjs'
import { exitWithParent, port } from './lifetime.mjs'
const app = honoApp(upgradeWebSocket)
Bun.serve({ port, hostname: '127.0.0.1', fetch: app.fetch, websocket })
exitWithParent()
