/**
 * What each runtime can do, as the README's capability table states it. A conformance
 * case that a runtime cannot run names its row here; nothing else is ever skipped.
 */
export type RuntimeName = 'node' | 'bun' | 'deno' | 'workerd'

export interface Capabilities {
  /** Protocol pings with pong detection, so a silent but dead peer is dropped. */
  deadPeerDetection: boolean
  /** A real `bufferedAmount`, so the slow-consumer cap can act. */
  sendBufferVisible: boolean
  /** A server process that portsocket shuts down (SIGTERM → close every socket with 1001). */
  serverShutdown: boolean
}

export const capabilities: Record<RuntimeName, Capabilities> = {
  node: { deadPeerDetection: true, sendBufferVisible: true, serverShutdown: true },
  bun: { deadPeerDetection: true, sendBufferVisible: true, serverShutdown: true },
  deno: { deadPeerDetection: true, sendBufferVisible: true, serverShutdown: true },
  // workerd shows the Worker no pings, pongs or send buffer, and the platform owns the
  // process: see "Capabilities" in README.md.
  workerd: { deadPeerDetection: false, sendBufferVisible: false, serverShutdown: false },
}
