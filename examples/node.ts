import { serve } from 'portsocket/node'
import { app } from './app.ts'

const server = await serve(app)
console.log(`portsocket example on Node: http://localhost:${server.port}/ (WebSocket: ws://localhost:${server.port}/ws/echo)`)
process.once('SIGINT', () => void server.close().then(() => process.exit(0)))
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)))
