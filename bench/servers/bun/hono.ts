// Hono's Bun helper: upgradeWebSocket + websocket from hono/bun.
import { upgradeWebSocket, websocket } from 'hono/bun'
import { honoApp } from '../shared/hono-app.ts'
import { hostname, port, ready } from '../shared/env.ts'

declare const Bun: any
const app = honoApp(upgradeWebSocket)
Bun.serve({ port, hostname, fetch: app.fetch, websocket })
ready('hono bun')
