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

  /**
   * A server-initiated close of a socket that never sent a message ends the connection as
   * soon as the peer answers (workerd: a hibernatable socket lingers until the object hibernates).
   */
  promptSilentClose: boolean
  /**
   * RFC 6455 frame checks, as the README's "Protocol edges" table states them. The runtime
   * parses frames before portsocket sees a message, so where it differs the row says how.
   */
  frames: {
    /** A frame-level protocol error is answered with a close frame (1002/1007) before the end. */
    closeFrameOnProtocolError: boolean
    /** Unmasked client frames fail the connection. */
    rejectsUnmasked: boolean
    /** Control frames over 125 bytes fail the connection. */
    controlFrameLimit: boolean
    /** Text that is not UTF-8 fails with 1007 (else it is delivered with U+FFFD). */
    validatesUtf8: boolean
    /** Close frames with a 1-byte payload, code 1005 or a non-UTF-8 reason fail the connection. */
    validatesClosePayload: boolean
    /** A declared length over the transport ceiling is refused at the frame header (1009). */
    refusesDeclaredLength: boolean
    /** The handshake reaches portsocket, which checks version and key (426 / 400). */
    checksHandshake: boolean
  }
}

const strict = {
  closeFrameOnProtocolError: true,
  rejectsUnmasked: true,
  controlFrameLimit: true,
  validatesUtf8: true,
  validatesClosePayload: true,
  refusesDeclaredLength: true,
  checksHandshake: true,
}

export const capabilities: Record<RuntimeName, Capabilities> = {
  node: { deadPeerDetection: true, sendBufferVisible: true, serverShutdown: true, promptSilentClose: true, frames: strict, pauseReads: true, transportCeiling: true, rejectsBadKey: true, invalidUtf8: 1007, closeFrameWhileSending: true },
  bun: { deadPeerDetection: true, sendBufferVisible: true, serverShutdown: true, promptSilentClose: true, frames: strict, pauseReads: false, transportCeiling: true, rejectsBadKey: true, invalidUtf8: 1007, closeFrameWhileSending: true },
  // Deno's frame parser drops the connection without a close frame on protocol errors,
  // accepts unmasked frames, and has no transport ceiling below 64 MiB (nothing is
  // allocated for a declared length): see "Protocol edges" in README.md.
  deno: {
    deadPeerDetection: true,
    sendBufferVisible: true,
    serverShutdown: true,
    promptSilentClose: true,
    frames: { ...strict, closeFrameOnProtocolError: false, rejectsUnmasked: false, refusesDeclaredLength: false },
    pauseReads: false,
    transportCeiling: false,
    rejectsBadKey: false,
    invalidUtf8: 1006,
    closeFrameWhileSending: false,
  },
  // workerd shows the Worker no pings, pongs or send buffer, and the platform owns the
  // process: see "Capabilities" in README.md. Its frame parser and handshake front end
  // are its own: see "Protocol edges".
  workerd: {
    deadPeerDetection: false,
    sendBufferVisible: false,
    serverShutdown: false,
    promptSilentClose: false,
    frames: {
      closeFrameOnProtocolError: true,
      rejectsUnmasked: false,
      controlFrameLimit: false,
      validatesUtf8: false,
      validatesClosePayload: false,
      refusesDeclaredLength: false,
      checksHandshake: false,
    },
    pauseReads: false,
    transportCeiling: false,
    rejectsBadKey: false,
    invalidUtf8: 'not validated',
    closeFrameWhileSending: true,
  },
}
