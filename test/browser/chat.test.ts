import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startFixture, type Fixture, type RuntimeName } from '../support/runtimes.ts'
import { artifacts, chatUrl, ConsoleErrors, expectMembers, expectMessage, expectState, expectText, launchChromium, messages, openPage, say } from './chat-page.ts'

// The chat demo (examples/chat) in Debian's Chromium: two pages in one room chat, the
// server process is stopped and started again on the same port, and both pages show
// the reconnecting state, come back, rejoin and keep chatting; what was written while
// offline arrives once. On Node, Bun and Deno.

// Node runs the build (dist/examples/chat/node.js); Bun and Deno run the TypeScript entries.
const dirs: Record<string, string> = { node: 'dist/examples/chat', bun: 'examples/chat', deno: 'examples/chat' }
const runtimes: RuntimeName[] = ['node', 'bun', 'deno']

let browser: Browser
beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})

describe.each(runtimes)('chat demo in Chromium on %s', (runtime) => {
  let server: Fixture | undefined
  afterAll(async () => {
    await server?.stop()
  })

  it('two pages chat, survive a server restart, rejoin and keep chatting; offline messages arrive once', { timeout: 120_000 }, async () => {
    const port = await freePort()
    const start = () => startFixture(runtime, { fixtureDir: dirs[runtime], port })
    server = await start()
    const base = server.baseUrl
    const room = `room-${runtime}-${Date.now().toString(36)}`

    const errors = new ConsoleErrors()
    const open = (name: string, path?: string): Promise<Page> =>
      openPage(browser, path ? base + path : chatUrl(base, name, room), name, errors)
    const state = (page: Page, value: string) => expectState(page, value)

    const alice = await open('alice')
    await state(alice, 'open')
    const bob = await open('bob')
    await state(bob, 'open')

    // Presence: each sees both, seeded on join and kept by presence messages.
    await expectMembers(alice, ['alice', 'bob'])
    await expectMembers(bob, ['alice', 'bob'])
    await expectText(alice, '#messages', 'bob joined')

    await say(alice, 'hello from alice')
    await expectMessage(bob, 'hello from alice')
    await say(bob, 'hi alice')
    await expectMessage(alice, 'hi alice')

    // The server goes away.
    errors.outage = true
    await server.stop()
    await state(alice, 'reconnecting')
    await state(bob, 'reconnecting')
    await expectText(alice, '#status', 'reconnecting')
    await expectText(alice, '#messages', 'Connection lost; reconnecting')

    // Written while offline: shown as pending, held in the client's buffer.
    await say(alice, 'sent while offline')
    await expect.poll(() => alice.locator('#messages li.pending').count()).toBe(1)
    await alice.screenshot({ path: join(artifacts, `chat-${runtime}-reconnecting.png`) })

    // Back on the same port: both pages reconnect by themselves and rejoin their room.
    server = await start()
    await state(alice, 'open')
    await state(bob, 'open')
    errors.outage = false
    await expectMembers(alice, ['alice', 'bob'])
    await expectMembers(bob, ['alice', 'bob'])

    // The offline message went out once, after the rejoin: once on each page, no longer pending.
    await expectMessage(bob, 'sent while offline')
    await expectMessage(alice, 'sent while offline')
    await expect.poll(() => alice.locator('#messages li.pending').count()).toBe(0)

    // And the chat goes on.
    await say(bob, 'back again')
    await expectMessage(alice, 'back again')
    await say(alice, 'welcome back')
    // Each page shows a message when its own copy arrives: wait for both.
    await expectMessage(bob, 'welcome back')
    await expectMessage(alice, 'welcome back')

    // Messages in order on both pages (the history replayed on rejoin is not shown twice).
    const order = ['hello from alice', 'hi alice', 'sent while offline', 'back again', 'welcome back']
    for (const page of [alice, bob]) expect(await messages(page)).toEqual(order)

    await expectText(alice, '#messages', 'Reconnected.')
    await alice.screenshot({ path: join(artifacts, `chat-${runtime}.png`) })

    // The admin page lists both connections; kicking bob closes his page for good (4001
    // is a stop code: no reconnecting) and alice sees him leave.
    const admin = await open('admin', '/admin')
    const bobRow = admin.locator('#rows tr', { hasText: 'bob' })
    await expect.poll(() => admin.locator('#rows tr', { hasText: room }).count(), { timeout: 10_000 }).toBe(2)
    await admin.screenshot({ path: join(artifacts, `admin-${runtime}.png`) })
    await bobRow.getByRole('button', { name: 'Kick' }).click()
    await state(bob, 'closed')
    await expectText(bob, '#status', '4001 kicked')
    await expectText(bob, '#messages', 'removed from the room by an admin')
    await expectText(alice, '#messages', 'bob left')
    await expectMembers(alice, ['alice'])
    await new Promise((r) => setTimeout(r, 1500)) // longer than a first retry: bob stays out
    await state(bob, 'closed')
    await admin.context().close()

    // No console errors but the browser's own reports of refused WebSocket connections
    // while the server was down.
    expect(errors.unexpected()).toEqual([])

    await alice.context().close()
    await bob.context().close()
  })
})
