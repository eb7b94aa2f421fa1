// npm run build && npx wrangler dev -c examples/chat/wrangler.toml
// The client modules for the page are static assets (dist/src, see wrangler.toml).
import { createSocketObject, toWorker } from 'portsocket/cloudflare'
import { createChatApp } from './app.ts'

const app = createChatApp()
// Every room lives in one Durable Object, with WebSocket hibernation.
export const PortsocketObject = createSocketObject(app)
export default toWorker(app, { durableObject: 'SOCKETS' })
