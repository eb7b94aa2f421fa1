// Hono's Deno helper: upgradeWebSocket from hono/deno.
import { upgradeWebSocket } from 'hono/deno'
import { honoApp } from '../shared/hono-app.ts'
import { hostname, port, ready } from '../shared/env.ts'

declare const Deno: any
const app = honoApp(upgradeWebSocket)
Deno.serve({ port, hostname, onListen: () => ready('hono deno') }, app.fetch)
