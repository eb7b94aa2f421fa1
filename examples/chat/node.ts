// npm start: builds, then runs this file from dist/examples/chat/ on Node.
import { serve } from 'portsocket/node'
import { createChatApp } from './app.ts'
import { clientFile } from './client-files.ts'
import { hubFromEnv } from './hub.ts'

const app = createChatApp({ clientFile })
const server = await serve(app, { hostname: process.env.HOST, hub: await hubFromEnv((name) => process.env[name]) })
console.log(`portsocket chat on Node: http://localhost:${server.port}/ (admin: /admin)`)
const stop = () => void server.close().then(() => process.exit(0))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
