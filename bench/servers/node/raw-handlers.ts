// The raw Node rows' socket handling, shared by raw.ts and raw-hono.ts so the two differ
// only in how an upgrade is routed: chat relayed with a naive send loop over a Set (the
// frame encoded per member), echo sent straight back.
import type { WebSocket } from 'ws'

const room = new Set<WebSocket>()

/** Wires one accepted socket: `name` is its chat name, or null on /echo. */
export function wireRaw(ws: WebSocket, name: string | null): void {
  if (name === null) {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    return
  }
  room.add(ws)
  ws.on('message', (data) => {
    const out = `${name}: ${data}`
    for (const member of room) if (member.readyState === 1) member.send(out)
  })
  ws.on('close', () => room.delete(ws))
  ws.on('error', () => room.delete(ws))
}
