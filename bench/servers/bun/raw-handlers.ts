// The raw Bun rows' WebSocket handlers, shared by raw.ts and raw-hono.ts so the two differ
// only in how an upgrade is routed: chat relayed with Bun's native topic publish (no
// JavaScript loop), echo sent straight back.

/** What each socket carries: its chat name, or null on /echo. */
export type Data = { name: string | null }

/** Bun's `websocket` handlers; `publish` is the server's (known once it is listening). */
export function rawHandlers(publish: (topic: string, text: string) => unknown) {
  return {
    perMessageDeflate: false,
    open(ws: any) {
      if ((ws.data as Data).name !== null) ws.subscribe('chat')
    },
    message(ws: any, message: string | Uint8Array) {
      const name = (ws.data as Data).name
      if (name === null) ws.send(message)
      else publish('chat', `${name}: ${message}`)
    },
  }
}
