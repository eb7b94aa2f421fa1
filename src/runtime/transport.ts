/**
 * What a runtime adapter hands the core for one open socket: the few operations the
 * runtime's own WebSocket object can do. Everything else (limits, heartbeats, events,
 * errors) lives once in the core.
 */
export interface Transport {
  /**
   * Sends one message: a string as a text frame, bytes as a binary frame. May return
   * true when the runtime says the message went out without queueing (no
   * `bufferedAmount` check), or false when it is queueing (the core reads
   * `bufferedAmount` at once); otherwise the core reads it only when what it wrote since
   * the last read could have passed the slow-consumer cap.
   */
  send(data: string | Uint8Array): boolean | void
  /** Starts the close handshake. */
  close(code: number, reason: string): void
  /** Drops the connection without a handshake (or closes as hard as the runtime allows). */
  terminate(): void
  /** Sends a protocol ping, where the runtime exposes one. */
  ping?(): void
  /**
   * Stops reading from the network (the inbound queue is full), where the runtime can;
   * without it a full queue closes the connection with 1008.
   */
  pause?(): void
  /** Starts reading again after {@link pause}. */
  resume?(): void
  /** Bytes queued but not yet written to the network (0 where the runtime cannot tell). */
  readonly bufferedAmount: number
  /** The negotiated extensions. */
  readonly extensions: string
  /** True when the runtime itself pings and drops dead peers, so the core need not. */
  readonly checksLiveness?: boolean
  /**
   * True when the socket may outlive the JavaScript object serving it (a hibernatable
   * Durable Object socket): the core then runs no heartbeat for it, so no timer keeps
   * the object awake.
   */
  readonly hibernates?: boolean
  /** Subscribes to a native topic (Bun), so room sends can use the runtime's publish. */
  subscribe?(topic: string): void
  unsubscribe?(topic: string): void
  /**
   * Sends what the runtime encoded once for many sockets: one payload (`FanOut.prepare`)
   * or several, each its own message, in order (`FanOut.prepareMany`).
   */
  sendPrepared?(prepared: unknown): void
}
