/**
 * The same app on crossws, whose hooks are the same on every runtime. crossws has
 * topics: a chat member subscribes to "chat" and a message goes to the sender with
 * `peer.send` and to everyone else with `peer.publish` (which leaves the sender out).
 * crossws namespaces peers by URL path, so /chat and /echo peers never mix.
 */
import type { Hooks, Peer } from 'crossws'

const names = new WeakMap<Peer, string>()

export const hooks: Partial<Hooks> = {
  open(peer) {
    const url = new URL(peer.request.url)
    if (url.pathname !== '/chat') return
    names.set(peer, url.searchParams.get('name') ?? 'anonymous')
    peer.subscribe('chat')
  },
  message(peer, message) {
    const name = names.get(peer)
    if (name === undefined) {
      peer.send(message.text())
      return
    }
    const out = `${name}: ${message.text()}`
    peer.send(out)
    peer.publish('chat', out)
  },
  close(peer) {
    names.delete(peer)
  },
}
