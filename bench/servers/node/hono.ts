// Hono's Node helper: @hono/node-server v2's built-in upgradeWebSocket with a `ws` server.
import { serve, upgradeWebSocket } from '@hono/node-server'
import { WebSocketServer } from 'ws'
import { honoApp } from '../shared/hono-app.ts'
import { hostname, port, ready } from '../shared/env.ts'

const app = honoApp(upgradeWebSocket)
serve({ fetch: app.fetch, port, hostname, websocket: { server: new WebSocketServer({ noServer: true }) } }, () =>
  ready('hono node'),
)
