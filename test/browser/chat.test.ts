import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, repoRoot, startFixture, type Fixture, type RuntimeName } from '../support/runtimes.ts'

// The chat demo (examples/chat) in Debian's Chromium: two pages in one room chat, the
// server process is stopped and started again on the same port, and both pages show
// the reconnecting state, come back, rejoin and keep chatting; what was written while
// offline arrives once. On Node, Bun and Deno.

const artifacts = join(repoRoot, 'test-artifacts', 'browser')
const CHROMIUM = process.env.PORTSOCKET_CHROMIUM ?? '/usr/bin/chromium'

// Node runs the build (dist/examples/chat/node.js); Bun and Deno run the TypeScript entries.
const dirs: Record<string, string> = { node: 'dist/examples/chat', bun: 'examples/chat', deno: 'examples/chat' }
const runtimes: RuntimeName[] = ['node', 'bun', 'deno']

let browser: Browser
beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
})
afterAll(async () => {
  await browser?.close()
})

interface Logged {
  page: string
  text: string
  /** Logged while the server was down. */
  duringOutage: boolean
}

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

    const logged: Logged[] = []
    let outage = false
    const open = async (name: string, path = `/?${new URLSearchParams({ name, room })}`): Promise<Page> => {
      const context = await browser.newContext({ viewport: { width: 980, height: 620 } })
      const page = await context.newPage()
      page.on('console', (msg) => {
        if (msg.type() === 'error') logged.push({ page: name, text: msg.text(), duringOutage: outage })
      })
      page.on('pageerror', (error) => logged.push({ page: name, text: `uncaught: ${error.message}`, duringOutage: false }))
      await page.goto(base + path)
      return page
    }
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
    outage = true
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
    outage = false
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
    await expectMessage(bob, 'welcome back')

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
    // while the server was down (Chromium logs each failed attempt as an error).
    const refused = /WebSocket connection to '.*' failed/
    const unexpected = logged.filter((entry) => !(entry.duringOutage && refused.test(entry.text)))
    expect(unexpected).toEqual([])

    await alice.context().close()
    await bob.context().close()
  })
})

async function expectState(page: Page, state: string): Promise<void> {
  await page.waitForSelector(`#status[data-state="${state}"]`, { timeout: 30_000 })
}

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await expect.poll(() => page.locator(selector).innerText(), { timeout: 10_000 }).toContain(text)
}

async function expectMembers(page: Page, names: string[]): Promise<void> {
  await expect
    .poll(async () => (await page.locator('#members li').allInnerTexts()).map((t) => t.replace(' (you)', '')).sort(), { timeout: 10_000 })
    .toEqual(names)
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text)
  await page.press('#text', 'Enter')
}

/** Waits until `text` is on the page as a delivered message, and checks it is there once. */
async function expectMessage(page: Page, text: string): Promise<void> {
  await expect.poll(async () => (await messages(page)).filter((t) => t === text).length, { timeout: 15_000 }).toBe(1)
}

async function messages(page: Page): Promise<string[]> {
  return page.locator('#messages li[data-id] .text').allInnerTexts()
}
