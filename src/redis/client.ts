/**
 * The Redis client, seen through the few methods RedisHub needs. The user passes their
 * own ioredis or node-redis (`redis`) client; RedisHub sends commands on it and opens one
 * subscriber connection of its own with `duplicate()`.
 */

/** The part of an ioredis client RedisHub uses. */
export interface IoRedisLike {
  readonly status: string
  call(command: string, ...args: (string | number)[]): Promise<unknown>
  duplicate(): IoRedisLike
  subscribe(...channels: string[]): Promise<unknown>
  unsubscribe(...channels: string[]): Promise<unknown>
  on(event: string, listener: (...args: any[]) => void): unknown
  disconnect(): void
}

/** The part of a node-redis (`redis` v4 and later) client RedisHub uses. */
export interface NodeRedisLike {
  readonly isReady: boolean
  readonly isOpen: boolean
  sendCommand(args: string[]): Promise<unknown>
  duplicate(): NodeRedisLike
  connect(): Promise<unknown>
  subscribe(channels: string | string[], listener: (message: string, channel: string) => void): Promise<unknown>
  unsubscribe(channels?: string | string[], listener?: (message: string, channel: string) => void): Promise<unknown>
  on(event: string, listener: (...args: any[]) => void): unknown
  destroy?(): void
  disconnect?(): Promise<void>
}

/** A Redis client RedisHub accepts: an ioredis `Redis` or a node-redis client (connected or not). */
export type RedisClient = IoRedisLike | NodeRedisLike

/** One connection to Redis as RedisHub uses it, whichever client is behind it. */
export interface Connection {
  /** Whether commands can be sent now (connected and past the handshake). */
  readonly ready: boolean
  /** Runs one command. */
  command(args: string[]): Promise<unknown>
  /** Calls `listener` whenever the connection becomes ready (after a reconnect too). */
  onReady(listener: () => void): void
}

/** A subscriber connection. */
export interface Subscriber extends Connection {
  subscribe(channels: string[]): Promise<void>
  unsubscribe(channels: string[]): Promise<void>
  /** Closes the connection now. */
  close(): void
}

type MessageListener = (channel: string, message: string) => void

function isIoRedis(client: RedisClient): client is IoRedisLike {
  return typeof (client as IoRedisLike).call === 'function' && 'status' in client
}

function isNodeRedis(client: RedisClient): client is NodeRedisLike {
  return typeof (client as NodeRedisLike).sendCommand === 'function' && 'isReady' in client
}

/**
 * Wraps the user's client as the command connection. An `error` listener is added, so
 * a Redis outage is reported instead of crashing the process (node-redis throws an
 * `error` event nobody listens to). A node-redis client that is not open yet is connected.
 */
export function commandConnection(client: RedisClient, onError: (error: unknown) => void): Connection {
  client.on('error', onError)
  if (isIoRedis(client)) {
    return {
      get ready() {
        return client.status === 'ready'
      },
      command: (args) => client.call(args[0]!, ...args.slice(1)),
      onReady: (listener) => void client.on('ready', listener),
    }
  }
  if (isNodeRedis(client)) {
    if (!client.isOpen) client.connect().catch(onError)
    return {
      get ready() {
        return client.isReady
      },
      command: (args) => client.sendCommand(args),
      onReady: (listener) => void client.on('ready', listener),
    }
  }
  throw new TypeError('RedisHub: `client` must be an ioredis client or a node-redis (`redis`) client')
}

/** Opens a subscriber connection next to the user's client; messages go to `listener`. */
export function subscriberConnection(client: RedisClient, listener: MessageListener, onError: (error: unknown) => void): Subscriber {
  if (isIoRedis(client)) {
    const sub = client.duplicate()
    sub.on('error', onError)
    sub.on('message', listener)
    return {
      get ready() {
        return sub.status === 'ready'
      },
      command: (args) => sub.call(args[0]!, ...args.slice(1)),
      onReady: (l) => void sub.on('ready', l),
      subscribe: async (channels) => void (channels.length && (await sub.subscribe(...channels))),
      unsubscribe: async (channels) => void (channels.length && (await sub.unsubscribe(...channels))),
      close: () => sub.disconnect(),
    }
  }
  const sub = (client as NodeRedisLike).duplicate()
  sub.on('error', onError)
  const onMessage = (message: string, channel: string) => listener(channel, message)
  const connected = sub.connect().catch(onError)
  return {
    get ready() {
      return sub.isReady
    },
    command: (args) => sub.sendCommand(args),
    onReady: (l) => void sub.on('ready', l),
    subscribe: async (channels) => {
      await connected
      if (channels.length) await sub.subscribe(channels, onMessage)
    },
    unsubscribe: async (channels) => {
      await connected
      if (channels.length) await sub.unsubscribe(channels, onMessage)
    },
    close: () => {
      if (sub.destroy) sub.destroy()
      else void sub.disconnect?.().catch(() => {})
    },
  }
}
