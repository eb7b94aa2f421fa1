// crossws's hooks for the benchmark: its own pub/sub (native publish on Bun) for the chat relay.
const info = new WeakMap()
export const hooks = {
  open(peer) {
    const url = new URL(peer.request.url)
    info.set(peer, { path: url.pathname, name: url.searchParams.get('name') })
    if (url.pathname === '/chat') peer.subscribe('chat')
  },
  message(peer, message) {
    const { path, name } = info.get(peer)
    if (path === '/echo') return peer.send(message.text())
    const text = `${name}: ${message.text()}`
    peer.send(text)
    peer.publish('chat', text)
  },
}
