/**
 * The connection lifecycle: CONNECTING → OPEN → CLOSING → CLOSED, the WHATWG ready
 * states. This module is the one place that says what may happen in each state; the
 * connection asks it at every gate instead of keeping flags of its own.
 */

/** The WHATWG ready states. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState]

/** What the connection may do with an outgoing message in a state. */
export type SendRule = 'hold' | 'write' | 'refuse'

interface Rules {
  /** `send()`: held until the upgrade completes, written, or refused (returns false). */
  send: SendRule
  /** Whether an incoming message is accepted (counted, limited, queued). */
  receive: boolean
  /** Whether application code for a message (hook, events handler, listener, iterator) may start. */
  dispatch: boolean
  /** Whether policy checks (heartbeat, idle timeout) apply. */
  policing: boolean
}

const RULES: readonly Rules[] = [
  /* CONNECTING */ { send: 'hold', receive: false, dispatch: false, policing: false },
  /* OPEN       */ { send: 'write', receive: true, dispatch: true, policing: true },
  /* CLOSING    */ { send: 'refuse', receive: false, dispatch: false, policing: false },
  /* CLOSED     */ { send: 'refuse', receive: false, dispatch: false, policing: false },
]

/** The rules of a state. */
export function rules(state: ReadyState): Rules {
  return RULES[state]!
}

/** What moves a connection from one state to the next. */
export type Transition = 'open' | 'close' | 'end'

/**
 * The next state, or undefined when the transition does not apply (closing twice,
 * opening a closed socket): callers treat that as a no-op.
 *
 * - `open`: the runtime accepted the upgrade (CONNECTING → OPEN).
 * - `close`: the close handshake starts (CONNECTING or OPEN → CLOSING); from
 *   CONNECTING the close is carried out once the transport exists.
 * - `end`: the connection is gone (any state but CLOSED → CLOSED).
 */
export function transition(state: ReadyState, event: Transition): ReadyState | undefined {
  switch (event) {
    case 'open':
      return state === ReadyState.CONNECTING ? ReadyState.OPEN : undefined
    case 'close':
      return state <= ReadyState.OPEN ? ReadyState.CLOSING : undefined
    case 'end':
      return state !== ReadyState.CLOSED ? ReadyState.CLOSED : undefined
  }
}
