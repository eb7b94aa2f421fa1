import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keysUnder, removeKeys, SHARED_REDIS_URL } from '../redis/support.ts'
import { startFixture, type Fixture, type RuntimeName } from '../support/runtimes.ts'
import {
  artifacts,
  chatUrl,
  ConsoleErrors,
  expectMembers,
  expectMessage,
  expectState,
  expectText,
  launchChromium,
  messages,
  notices,
  openPage,
  say,
} from './chat-page.ts'

// The chat demo as two instances on different runtimes sharing one Redis (REDIS_URL):
// a Node instance (the build, as `npm start` runs it) and a Bun or Deno one (the
// TypeScript entry). A page on each joins the same room: presence, messages and the
// admin page's list and kick cross instances; a graceful shutdown of the second
// instance shows as a leave on the first one's page.

const partners: RuntimeName[] = ['deno', 'bun']

interface Instance extends Fixture {
  instanceId: string
}

/** Starts the chat demo with a RedisHub; its id comes from the line hub.ts prints. */
async function startChat(runtime: RuntimeName, prefix: string): Promise<Instance> {
  const fixture = await startFixture(runtime, {
    fixtureDir: runtime === 'node' ? 'dist/examples/chat' : 'examples/chat',
    env: { REDIS_URL: SHARED_REDIS_URL, REDIS_PREFIX: prefix },
  })
  let instanceId = ''
  await expect
    .poll(() => (instanceId = /instance ([0-9a-f-]{36}), sharing rooms through/.exec(fixture.output())?.[1] ?? ''), { timeout: 5000 })
    .not.toBe('')
  return Object.assign(fixture, { instanceId })
}

interface Connection {
  id: string
  instanceId: string
  data: { name: string; room: string }
}

async function connections(at: Fixture): Promise<Connection[]> {
  const response = await fetch(`${at.baseUrl}/api/connections`)
  expect(response.status).toBe(200)
  return (await response.json()) as Connection[]
}

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})

describe.each(partners)('chat demo across instances (Redis): Node and %s in Chromium', (partner) => {
  const prefix = `portsocket-test:chat-${partner}-${randomUUID().slice(0, 8)}`
  let instances: Instance[] = []
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()))
    await removeKeys(prefix)
  })

  it('pages on two instances see each other, chat in order, an admin on one kicks from the other, a shutdown shows as a leave', { timeout: 120_000 }, async () => {
    instances = await Promise.all([startChat('node', prefix), startChat(partner, prefix)])
    const [one, two] = instances as [Instance, Instance]
    expect(one.instanceId).not.toBe(two.instanceId)
    const room = `room-${partner}-${Date.now().toString(36)}`
    const errors = new ConsoleErrors()

    const alice = await openPage(browser, chatUrl(one.baseUrl, 'alice', room), 'alice', errors)
    await expectState(alice, 'open')
    const bob = await openPage(browser, chatUrl(two.baseUrl, 'bob', room), 'bob', errors)
    await expectState(bob, 'open')

    // Presence across instances: bob's page is seeded with alice from the shared registry,
    // and alice's page hears bob join through Redis.
    await expectMembers(alice, ['alice', 'bob'])
    await expectMembers(bob, ['alice', 'bob'])
    await expectText(alice, '#messages', 'bob joined')

    // Messages both ways, each waited for; then a burst from each side, not waited for
    // (one instance's messages reach a recipient in the order sent).
    await say(alice, 'hello from node')
    await expectMessage(bob, 'hello from node')
    await say(bob, `hi from ${partner}`)
    await expectMessage(alice, `hi from ${partner}`)
    for (const n of [1, 2, 3]) await say(alice, `alice ${n}`)
    await expectMessage(bob, 'alice 3')
    for (const n of [1, 2, 3]) await say(bob, `bob ${n}`)
    await expectMessage(alice, 'bob 3')
    const order = ['hello from node', `hi from ${partner}`, 'alice 1', 'alice 2', 'alice 3', 'bob 1', 'bob 2', 'bob 3']
    for (const page of [alice, bob]) await expect.poll(() => messages(page), { timeout: 10_000 }).toEqual(order)

    // The registry spans both: each instance lists both connections, each held by its own instance.
    for (const at of [one, two]) {
      const inRoom = (await connections(at)).filter((c) => c.data.room === room)
      expect(inRoom.map((c) => [c.data.name, c.instanceId]).sort()).toEqual([
        ['alice', one.instanceId],
        ['bob', two.instanceId],
      ])
    }

    // The admin page on instance 1 shows both, with their instances, and kicks bob, whose
    // socket is on instance 2: his page is closed for good (4001, a stop code) and says why.
    const admin = await openPage(browser, `${one.baseUrl}/admin`, 'admin', errors)
    const rows = admin.locator('#rows tr', { hasText: room })
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2)
    const bobRow = rows.filter({ hasText: 'bob' })
    expect(await bobRow.locator('code.instance').getAttribute('title')).toBe(two.instanceId)
    expect(await rows.filter({ hasText: 'alice' }).locator('code.instance').getAttribute('title')).toBe(one.instanceId)
    await expectText(admin, '#count', 'on 2 instances')
    await admin.screenshot({ path: join(artifacts, `admin-redis-node-${partner}.png`) })
    await bobRow.getByRole('button', { name: 'Kick' }).click()
    await expectState(bob, 'closed')
    await expectText(bob, '#status', '4001 kicked')
    await expectText(bob, '#messages', 'removed from the room by an admin')
    await expectText(alice, '#messages', 'bob left')
    await expectMembers(alice, ['alice'])
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1)
    await bob.screenshot({ path: join(artifacts, `chat-redis-${partner}-kicked.png`) })

    // A kick is no ban: bob reloads and is back, on instance 2.
    await bob.reload()
    await expectState(bob, 'open')
    await expectMembers(alice, ['alice', 'bob'])
    await expectMembers(bob, ['alice', 'bob'])
    await expect.poll(async () => (await notices(alice)).filter((t) => t === 'bob joined').length, { timeout: 10_000 }).toBe(2)

    // Instance 2 stops gracefully (SIGTERM → server.close()): bob's socket closes, his leave
    // reaches alice on instance 1, and bob's page goes back to reconnecting.
    errors.outage = true
    await two.stop()
    expect(two.process.signalCode).toBeNull()
    expect(two.process.exitCode).toBe(0)
    await expect.poll(async () => (await notices(alice)).filter((t) => t === 'bob left').length, { timeout: 10_000 }).toBe(2)
    await expectMembers(alice, ['alice'])
    await expectState(bob, 'reconnecting')
    expect((await connections(one)).filter((c) => c.data.room === room).map((c) => c.data.name)).toEqual(['alice'])
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1)
    // What instance 2 wrote to Redis is gone with it.
    expect((await keysUnder(prefix)).filter((key) => key.includes(two.instanceId))).toEqual([])
    await alice.screenshot({ path: join(artifacts, `chat-redis-node-${partner}.png`) })

    // No console errors but Chromium's reports of bob's refused reconnects once instance 2 was gone.
    expect(errors.unexpected()).toEqual([])
    for (const page of [alice, bob, admin]) await page.context().close()

    // Instance 1 stops gracefully too, and nothing is left under the prefix.
    await one.stop()
    expect(one.process.exitCode).toBe(0)
    expect(await keysUnder(prefix)).toEqual([])
  })
})
