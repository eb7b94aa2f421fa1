/**
 * Cross-instance scenario: one of several portsocket instances sharing one Redis through
 * `RedisHub` (ioredis), running the same route code as the one-instance row. The runner
 * gives every instance of a run the same fresh key prefix (BENCH_REDIS_PREFIX) and deletes
 * its keys afterwards.
 */
import { Redis } from 'ioredis'
import { serve } from '../../../adapters/node.ts'
import { RedisHub } from '../../../src/redis/index.ts'
import { app } from '../shared/portsocket-app.ts'
import { hostname, port, ready } from '../shared/env.ts'

const hub = new RedisHub({
  client: new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
  prefix: process.env.BENCH_REDIS_PREFIX ?? 'portsocket-bench',
})
await hub.ready()
await serve(app, { hostname, port, hub })
ready('portsocket node (RedisHub)')
