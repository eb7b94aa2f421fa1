import type { Message } from './message.ts'

/** How a connection ended. */
export interface CloseInfo {
  /** The close code (1005 when the peer sent none, 1006 when the transport dropped). */
  code: number
  /** The close reason, possibly empty. */
  reason: string
}

/** What the `close` hook gets: how the connection ended, and what it did. */
export interface CloseSummary extends CloseInfo {
  /** How long the connection was open, in ms. */
  duration: number
  /** Messages received from the client. */
  messagesIn: number
  /** Messages sent to the client. */
  messagesOut: number
  /**
   * Messages that arrived but were never handled: still queued when the connection
   * started closing, or arriving while it was closing.
   */
  messagesDropped: number
}

/** Passed to `addEventListener('message', …)`, shaped like the WHATWG `MessageEvent`. */
export interface SocketMessageEvent<S = unknown> {
  readonly type: 'message'
  /** A string for text; for binary an `ArrayBuffer`, or a `Blob` when `binaryType` is `"blob"`. */
  readonly data: string | ArrayBuffer | Blob
  /** The same message with its helpers (`text()`, `json()`, `bytes()`). */
  readonly message: Message
  readonly target: S
}

/** Passed to `addEventListener('close', …)`, shaped like the WHATWG `CloseEvent`. */
export interface SocketCloseEvent<S = unknown> extends CloseInfo {
  readonly type: 'close'
  readonly wasClean: boolean
  readonly target: S
}

/** Passed to `addEventListener('error', …)`. */
export interface SocketErrorEvent<S = unknown> {
  readonly type: 'error'
  readonly error: unknown
  readonly message: string
  readonly target: S
}

/** Passed to `addEventListener('open', …)`. */
export interface SocketOpenEvent<S = unknown> {
  readonly type: 'open'
  readonly target: S
}

/** The events of `addEventListener`, by type. */
export interface SocketEventMap<S> {
  open: SocketOpenEvent<S>
  message: SocketMessageEvent<S>
  close: SocketCloseEvent<S>
  error: SocketErrorEvent<S>
}
