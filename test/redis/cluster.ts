import { connect, type TestClient } from '../support/client.ts'
import { startFixture, type Fixture } from '../support/runtimes.ts'
import { SHARED_REDIS_URL, type ClientKind } from './support.ts'

export type Runtime = 'node' | 'bun' | 'deno'

/** One instance of the fixture app with a RedisHub: a runtime and a Redis client. */
export interface Instance extends Fixture {
  client: ClientKind
  label: string
  instanceId: string
}

export interface ClusterOptions {
  prefix: string
  url?: string
  leaseTtl?: number
  renew?: number
}

/** Starts the fixture app under `runtime` with a RedisHub on `client`. */
export async function startInstance(runtime: Runtime, client: ClientKind, options: ClusterOptions): Promise<Instance> {
  const fixture = await startFixture(runtime, {
    fixtureDir: runtime === 'node' ? 'dist/test/fixture/redis' : 'test/fixture/redis',
    env: {
      PORTSOCKET_REDIS_URL: options.url ?? SHARED_REDIS_URL,
      PORTSOCKET_REDIS_PREFIX: options.prefix,
      PORTSOCKET_REDIS_CLIENT: client,
      ...(options.leaseTtl ? { PORTSOCKET_REDIS_LEASE_TTL: String(options.leaseTtl) } : {}),
      ...(options.renew ? { PORTSOCKET_REDIS_RENEW: String(options.renew) } : {}),
    },
  })
  const { instanceId } = (await (await fetch(`${fixture.baseUrl}/api/instance`)).json()) as { instanceId: string }
  return Object.assign(fixture, { client, label: `${runtime}+${client}`, instanceId })
}

/** A client on a room route of an instance, with its connection id. */
/** The four instances the cross-instance cases run: every runtime, both clients. */
export function startMixedInstances(options: ClusterOptions): Promise<Instance[]> {
  return Promise.all([
    startInstance('node', 'ioredis', options),
    startInstance('node', 'redis', options),
    startInstance('bun', 'ioredis', options),
    startInstance('deno', 'redis', options),
  ])
}

export type Member = TestClient & { id: string; at: Instance }

export async function member(at: Instance, path = '/ws/rooms', name = ''): Promise<Member> {
  const client = await connect(at.wsUrl(`${path}?name=${encodeURIComponent(name)}`))
  client.emit('whoami')
  const me = await client.nextEvent<{ id: string }>('me')
  return Object.assign(client, { id: me.id, at })
}

export async function join(client: TestClient, room: string): Promise<string[]> {
  client.emit('join', room)
  return client.nextEvent<string[]>('joined')
}

export async function api<T = any>(at: Instance, path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(`${at.baseUrl}${path}`, init)
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
