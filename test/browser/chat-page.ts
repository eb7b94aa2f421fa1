/**
 * What the browser tests share: Debian's Chromium, pages whose console errors are
 * recorded, and the chat page (examples/chat/page.ts) read and driven through its DOM.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { repoRoot } from '../support/runtimes.ts'

export const artifacts = join(repoRoot, 'test-artifacts', 'browser')
const CHROMIUM = process.env.PORTSOCKET_CHROMIUM ?? '/usr/bin/chromium'

/** Headless Chromium; also creates the screenshot directory. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(artifacts, { recursive: true })
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
}

export interface Logged {
  page: string
  text: string
  /** Logged while a server was down (`outage` was set). */
  duringOutage: boolean
}

/** Console errors and uncaught exceptions of every page opened through it. */
export class ConsoleErrors {
  readonly logged: Logged[] = []
  /** Set while a server is down on purpose: its refused reconnects are expected then. */
  outage = false

  watch(page: Page, name: string): void {
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.logged.push({ page: name, text: msg.text(), duringOutage: this.outage })
    })
    page.on('pageerror', (error) => this.logged.push({ page: name, text: `uncaught: ${error.message}`, duringOutage: false }))
  }

  /**
   * Everything but the browser's own reports of refused connections while a server was
   * down: Chromium logs each failed WebSocket attempt as an error, and so a fetch the page
   * made just as the server went (the demo refreshes its room list after the leaves a
   * server announces as it shuts down; the page catches the failure, Chromium logs it).
   */
  unexpected(): Logged[] {
    const refused = /WebSocket connection to '.*' failed|^Failed to load resource: net::ERR_CONNECTION_REFUSED$/
    return this.logged.filter((entry) => !(entry.duringOutage && refused.test(entry.text)))
  }
}

/** Opens `url` in a context of its own (its own cookies and storage), watched by `errors`. */
export async function openPage(browser: Browser, url: string, name: string, errors: ConsoleErrors): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 980, height: 620 } })
  const page = await context.newPage()
  errors.watch(page, name)
  await page.goto(url)
  return page
}

/** The chat page's URL for `name` in `room` on a server. */
export function chatUrl(base: string, name: string, room: string): string {
  return `${base}/?${new URLSearchParams({ name, room })}`
}

/** Waits for the connection state the page shows (`#status[data-state]`). */
export async function expectState(page: Page, state: string): Promise<void> {
  await page.waitForSelector(`#status[data-state="${state}"]`, { timeout: 30_000 })
}

export async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await expect.poll(() => page.locator(selector).innerText(), { timeout: 10_000 }).toContain(text)
}

/** Waits until the member list holds exactly these names (in any order). */
export async function expectMembers(page: Page, names: string[]): Promise<void> {
  await expect
    .poll(async () => (await page.locator('#members li').allInnerTexts()).map((t) => t.replace(' (you)', '')).sort(), { timeout: 10_000 })
    .toEqual([...names].sort())
}

export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text)
  await page.press('#text', 'Enter')
}

/** Waits until `text` is on the page as a delivered message, and checks it is there once. */
export async function expectMessage(page: Page, text: string): Promise<void> {
  await expect.poll(async () => (await messages(page)).filter((t) => t === text).length, { timeout: 15_000 }).toBe(1)
}

/** The delivered messages on the page, in the order shown. */
export async function messages(page: Page): Promise<string[]> {
  return page.locator('#messages li[data-id] .text').allInnerTexts()
}

/** The join/leave and connection notices on the page, in the order shown. */
export async function notices(page: Page): Promise<string[]> {
  return page.locator('#messages li.notice').allInnerTexts()
}
