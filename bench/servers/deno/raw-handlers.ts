// The raw Deno rows' socket wiring, shared by raw.ts and raw-hono.ts so the two differ only
// in how an upgrade is routed: chat relayed with a send loop over a Set (Deno has no
// prepared-frame API), echo sent straight back.

const room = new Set<WebSocket>()

/** Wires an upgraded socket: a chat member named `name`, or an echo socket when null. */
export function wireRaw(socket: WebSocket, name: string | null): void {
  if (name === null) {
    socket.onmessage = (event: MessageEvent) => socket.send(event.data)
    return
  }
  socket.onopen = () => room.add(socket)
  socket.onmessage = (event: MessageEvent) => {
    const out = `${name}: ${event.data}`
    for (const member of room) if (member.readyState === 1) member.send(out)
  }
  socket.onclose = () => room.delete(socket)
  socket.onerror = () => room.delete(socket)
}
