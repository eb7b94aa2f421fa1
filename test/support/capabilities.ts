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
  /** The runtime can stop reading a socket, so a full inbound queue pauses instead of closing with 1008. */
  pauseReads: boolean
  /** The transport has its own message-size ceiling (serve's `maxMessageSize`), enforced before buffering. */
  transportCeiling: boolean
  /** The runtime refuses an upgrade with a malformed `Sec-WebSocket-Key` after the app accepted it. */
  rejectsBadKey: boolean
  /**
   * What the client sees when it sends a text frame with invalid UTF-8: a 1007 close
   * frame, a dropped connection (1006), or nothing (the runtime does not validate).
   */
  invalidUtf8: 1007 | 1006 | 'not validated'
  /** A server close reaches a client that keeps sending as a close frame (Deno may reset instead: 1006). */
  closeFrameWhileSending: boolean
}

export const capabilities: Record<RuntimeName, Capabilities> = {
  node: { deadPeerDetection: true, sendBufferVisible: true, serverShutdown: true, pauseReads: true, transportCeiling: true, rejectsBadKey: true, invalidUtf8: 1007, closeFrameWhileSending: true },
  bun: { deadPeerDetection: true, sendBufferVisible: true, serverShutdown: true, pauseReads: false, transportCeiling: true, rejectsBadKey: true, invalidUtf8: 1007, closeFrameWhileSending: true },
  deno: { deadPeerDetection: true, sendBufferVisible: true, serverShutdown: true, pauseReads: false, transportCeiling: false, rejectsBadKey: false, invalidUtf8: 1006, closeFrameWhileSending: false },
  // workerd shows the Worker no pings, pongs or send buffer, and the platform owns the
  // process: see "Capabilities" in README.md.
  workerd: { deadPeerDetection: false, sendBufferVisible: false, serverShutdown: false, pauseReads: false, transportCeiling: false, rejectsBadKey: false, invalidUtf8: 'not validated', closeFrameWhileSending: true },
}
