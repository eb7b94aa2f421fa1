// npm start: builds, then runs this file from dist/examples/chat/ on Node.
import { serve } from '../../adapters/node.ts'
import { createChatApp } from './app.ts'
import { clientFile } from './client-files.ts'

// REDIS_URL: when the Redis hub exists (portsocket/redis), pass it to serve() here so
// several instances share rooms and presence. Nothing reads REDIS_URL yet.
const app = createChatApp({ clientFile })
const server = await serve(app, { hostname: process.env.HOST })
console.log(`portsocket chat on Node: http://localhost:${server.port}/ (admin: /admin)`)
const stop = () => void server.close().then(() => process.exit(0))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
