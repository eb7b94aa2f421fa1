/**
 * The example app as one of many instances sharing rooms, delivery and the registry
 * through Redis. Start two on one Redis:
 *   PORT=3001 node dist/examples/redis-node.js & PORT=3002 node dist/examples/redis-node.js
 */
import { Redis } from 'ioredis'
import { serve } from 'portsocket/node'
import { RedisHub } from 'portsocket/redis'
import { app } from './app.ts'

const hub = new RedisHub({ client: new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'), prefix: process.env.REDIS_PREFIX ?? 'portsocket-example' })
const server = await serve(app, { hub })
console.log(`portsocket example on Node, instance ${hub.instanceId}: http://localhost:${server.port}/`)
const stop = () => void server.close().then(() => process.exit(0))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
