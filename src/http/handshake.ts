import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ResolvedOptions } from './options.ts'

/** Whether the request asks for a WebSocket upgrade. */
export function isUpgradeRequest(request: Request): boolean {
  return request.headers.get('upgrade')?.toLowerCase() === 'websocket'
}

// 16 random bytes in base64 (RFC 6455 §4.1): 22 characters, then "==".
const KEY = /^[A-Za-z0-9+/]{22}==$/

/**
 * The RFC 6455 §4.2.1 checks of an upgrade request's WebSocket fields, made the same way
 * on every runtime (Deno's own server accepts any version and any key): a version other
 * than 13 gets 426 with `Sec-WebSocket-Version: 13`, a missing or malformed key gets 400.
 */
export function checkHandshake(request: Request): void {
  const version = request.headers.get('sec-websocket-version')
  if (version?.trim() !== '13') {
    const res = new Response('unsupported WebSocket version: this server speaks 13', {
      status: 426,
      headers: { 'sec-websocket-version': '13' },
    })
    throw new HTTPException(426, { res })
  }
  const key = request.headers.get('sec-websocket-key')
  if (!key || !KEY.test(key.trim())) {
    throw new HTTPException(400, { message: 'missing or malformed Sec-WebSocket-Key' })
  }
}

/**
 * Refuses cross-site WebSocket hijacking: a browser always sends `Origin`, so an
 * origin outside the allow-list gets 403 before any 101.
 */
export function checkOrigin(c: Context, options: ResolvedOptions): void {
  const allowed = options.allowedOrigins
  if (!allowed) return
  const origin = c.req.header('origin')
  if (origin === undefined) return
  const ok = typeof allowed === 'function' ? allowed(origin, c) : allowed.includes(origin)
  if (!ok) throw new HTTPException(403, { message: `origin ${origin} is not allowed` })
}

/** The subprotocols the client offered, in its order. */
export function offeredProtocols(request: Request): string[] {
  const header = request.headers.get('sec-websocket-protocol')
  if (!header) return []
  return header.split(',').map((p) => p.trim()).filter(Boolean)
}

/**
 * Picks the subprotocol to echo: the server's most preferred one that the client
 * offered. Answers 400 when the client offered some and none fits, unless
 * `acceptWithoutProtocol`.
 */
export function selectProtocol(c: Context, options: ResolvedOptions): string | undefined {
  const supported = options.protocols
  // A route without protocols reads no header (on Bun and Deno each read is a call into the runtime).
  if (!supported) return undefined
  const offered = offeredProtocols(c.req.raw)
  if (offered.length === 0) return undefined
  const chosen =
    typeof supported === 'function' ? supported(offered, c) : supported.find((p) => offered.includes(p))
  // Only what the client offered may be echoed, even if a selector returns something else.
  if (chosen !== undefined && offered.includes(chosen)) return chosen
  if (options.acceptWithoutProtocol) return undefined
  const list = typeof supported === 'function' ? '' : ` (supported: ${supported.join(', ')})`
  throw new HTTPException(400, { message: `no acceptable subprotocol in offer: ${offered.join(', ')}${list}` })
}
