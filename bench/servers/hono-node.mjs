import { serve, upgradeWebSocket } from '@hono/node-server'
import { WebSocketServer } from 'ws'
import { honoApp } from './hono-app.mjs'
import { exitWithParent, port } from './lifetime.mjs'
const app = honoApp(upgradeWebSocket)
serve({ fetch: app.fetch, port, hostname: '127.0.0.1', websocket: { server: new WebSocketServer({ noServer: true, perMessageDeflate: false }) } })
exitWithParent()
