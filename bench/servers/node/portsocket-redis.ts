/**
 * Cross-instance scenario: one of several portsocket instances sharing one Redis through
 * `RedisHub` (shared/redis-hub.ts), running the same route code as the one-instance row.
 */
import { serve } from '../../../adapters/node.ts'
import { app } from '../shared/portsocket-app.ts'
import { hostname, port, ready } from '../shared/env.ts'
import { redisHub } from '../shared/redis-hub.ts'

await serve(app, { hostname, port, hub: await redisHub() })
ready('portsocket node (RedisHub)')
