import { createSocketObject, toWorker } from 'portsocket/cloudflare'
import { app } from './app.ts'

// Sockets that share rooms must live in one place: a Durable Object runs the app, with
// WebSocket hibernation. wrangler.toml binds it as SOCKETS.
export const PortsocketObject = createSocketObject(app)
export default toWorker(app, { durableObject: 'SOCKETS' })
