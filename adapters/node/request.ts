import type { IncomingMessage } from 'node:http'
import { getRequestListener } from '@hono/node-server'

/**
 * The web `Request` an upgrade on Node is routed with.
 *
 * @hono/node-server hands every plain request to the app as a lightweight `Request`: an
 * object over Node's `IncomingMessage` whose `method`, `url` and `headers` are read
 * straight from it, and which builds undici's full `Request` (with its `AbortSignal`,
 * the costly part) only when something asks for more (`signal`, the body, `clone()`,
 * `new Request(c.req.raw)` through the global `Request` it installs). Upgrades never
 * reach that code, so the adapter gives them the same lightweight request: middleware on
 * a WebSocket route sees exactly what it sees on any other route, and an open costs no
 * undici `Request` (measured: building one with a handshake's headers took 12 µs and
 * most of the bytes an open allocates).
 *
 * The maker of that request is internal to @hono/node-server. It is found once, from a
 * request its public listener builds for a probe: the prototype, and the three fields
 * (by their symbols' names) that `newRequest` fills. If their shape is not the expected
 * one (another version), or the probe's request does not read back what it was given,
 * upgrades get a full `Request` instead: slower, never different.
 */
export function upgradeRequest(incoming: IncomingMessage): Request {
  return (maker ??= findLightweightMaker() ?? fullRequest)(incoming, upgradeUrl(incoming))
}

/** True when upgrades get @hono/node-server's lightweight request (the tests pin it for the locked version). */
export function lightweightUpgradeRequests(): boolean {
  return (maker ??= findLightweightMaker() ?? fullRequest) !== fullRequest
}

type UpgradeRequestMaker = (incoming: IncomingMessage, url: string) => Request

// Found on the first upgrade, not at import: the probe goes through @hono/node-server's
// listener, which installs its global Request and Response (as serving with it does anyway).
let maker: UpgradeRequestMaker | undefined

/**
 * The upgrade's URL, as a full `Request` would spell it. The target is checked as
 * @hono/node-server checks a plain request's: an origin-form or absolute http(s) target,
 * no backslash before the query, and a Host that is a host alone; anything else throws
 * (the adapter answers 400). A plain Host and a plain path are already in the URL
 * parser's form; anything else goes through it.
 */
export function upgradeUrl(incoming: IncomingMessage): string {
  const target = incoming.url ?? '/'
  const query = target.indexOf('?')
  const backslash = target.indexOf('\\')
  if (backslash !== -1 && (query === -1 || backslash < query)) throw new Error('backslash in request target')
  if (/^https?:\/\//i.test(target)) return new URL(target).href
  if (target[0] !== '/') throw new Error('request target is not origin-form')
  const scheme = (incoming.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http'
  const host = incoming.headers.host ?? 'localhost'
  if (PLAIN_HOST.test(host) && PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) return `${scheme}://${host}${target}`
  // The Host must be a host (and port) alone: nothing that moves the URL's parts.
  const base = new URL(`${scheme}://${host}`)
  if (base.username || base.password || base.pathname !== '/' || base.search || base.hash) throw new Error('invalid host header')
  return new URL(`${base.origin}${target}`).href
}

/**
 * A Host the URL parser leaves as it is: lower-case name or address characters, and a
 * port that is not the scheme's default (which the parser drops).
 */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5][0-9]{3,4}|[6-9][0-9]{3}))?$/
/** A path and query of characters the URL parser keeps as they are (no `%`, no space, no quote). */
const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/
/** `/.` or `/..` as a whole segment, which the URL parser removes. */
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/

function fullRequest(incoming: IncomingMessage, url: string): Request {
  // Node's header object as it is (the Request copies it once), unless it holds a list
  // (set-cookie): each of those values is a header line of its own.
  const parsed = incoming.headers
  let headers: Record<string, string> | [string, string][] = parsed as Record<string, string>
  for (const key in parsed) {
    if (typeof parsed[key] === 'string') continue
    const lines: [string, string][] = []
    for (const [name, value] of Object.entries(parsed)) {
      if (Array.isArray(value)) for (const item of value) lines.push([name, item])
      else if (value !== undefined) lines.push([name, value])
    }
    headers = lines
    break
  }
  return new Request(url, { method: incoming.method, headers })
}

type Fields = Record<symbol, unknown>

function findLightweightMaker(): UpgradeRequestMaker | undefined {
  try {
    const probe = requestFor({ host: 'probe.invalid', 'x-probe': 'a' }, '/probe')
    if (!probe) return undefined
    const keys = new Map(Object.getOwnPropertySymbols(probe).map((key) => [key.description, key]))
    const incomingKey = keys.get('incomingKey')
    const methodKey = keys.get('methodKey')
    const urlKey = keys.get('urlKey')
    const proto = Object.getPrototypeOf(probe) as object
    if (!incomingKey || !methodKey || !urlKey || keys.size !== 3 || proto === Request.prototype) return undefined
    const make: UpgradeRequestMaker = (incoming, url) => {
      // The fields in the order @hono/node-server sets them: one object shape for both.
      const request = Object.create(proto) as Fields
      request[incomingKey] = incoming
      request[methodKey] = incoming.method ?? 'GET'
      request[urlKey] = url
      return request as unknown as Request
    }
    // It must read back what it was given, and turn into a full Request on demand.
    const check = make(fakeIncoming({ host: 'check.invalid', 'x-check': 'b', 'set-cookie': ['c=1', 'd=2'] }, '/check?q=1'), 'http://check.invalid/check?q=1')
    const full = new Request(check)
    const ok =
      check instanceof Request &&
      check.method === 'GET' &&
      check.url === 'http://check.invalid/check?q=1' &&
      check.headers.get('x-check') === 'b' &&
      check.headers.getSetCookie().length === 2 &&
      full.url === check.url &&
      full.headers.get('x-check') === 'b' &&
      check.signal.aborted === false
    return ok ? make : undefined
  } catch {
    return undefined
  }
}

/** The request @hono/node-server's listener builds for a fake GET, or undefined. */
function requestFor(headers: Record<string, string>, url: string): Request | undefined {
  let seen: Request | undefined
  const listener = getRequestListener((request) => {
    seen = request
    return new Response(null, { status: 204 })
  })
  // The listener writes the answer to `outgoing`; nothing is listening, so it goes nowhere.
  const outgoing = { writeHead() {}, end() {}, on() {}, once() {}, setHeader() {}, getHeader() {}, destroy() {} }
  listener(fakeIncoming(headers, url), outgoing as never).catch(() => {})
  return seen
}

function fakeIncoming(headers: Record<string, string | string[]>, url: string): IncomingMessage {
  const rawHeaders: string[] = []
  for (const [name, value] of Object.entries(headers)) for (const item of [value].flat()) rawHeaders.push(name, item)
  return { method: 'GET', url, headers, rawHeaders, socket: {}, on() {}, once() {} } as unknown as IncomingMessage
}
