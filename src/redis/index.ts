export { RedisHub, type RedisHubOptions } from './hub.ts'
export { HubUnavailableError } from './errors.ts'
export type { IoRedisLike, NodeRedisLike, RedisClient } from './client.ts'
