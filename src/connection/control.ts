/**
 * The core's own control messages. Envelope types starting with `portsocket:` are
 * reserved: they never reach hooks or `events`, and `emit()` refuses them.
 */
export const RESERVED_PREFIX = 'portsocket:'
/**
 * Sent by the server on each tick of an app-level heartbeat (`heartbeat.app`); a
 * client may send it too, and the server answers with {@link PONG} (on a Durable
 * Object, without waking it: `setWebSocketAutoResponse`).
 */
export const PING = 'portsocket:ping'
/** The client's answer to {@link PING}; it counts as liveness and is consumed by the core. */
export const PONG = 'portsocket:pong'
/** The answer to an envelope that carried an `ack` id. */
export const ACK = 'portsocket:ack'
/** Tells the client an event's data failed its schema. */
export const INVALID = 'portsocket:invalid'

/** The text of the app-level ping, encoded once. */
export const PING_TEXT = JSON.stringify({ type: PING })
/** The text of the client's pong, as the client sends it (used for Durable Object auto-responses). */
export const PONG_TEXT = JSON.stringify({ type: PONG })

const PREFIX_TEXT = `{"type":"${RESERVED_PREFIX}`

/** Whether an envelope type is reserved for the core. */
export function isReserved(type: string): boolean {
  return type.startsWith(RESERVED_PREFIX)
}

/**
 * The reserved type of a compact control message (`{"type":"portsocket:…"…}`, as the
 * client sends them), without parsing anything else. Undefined for any other message.
 */
export function controlType(data: string | Uint8Array): string | undefined {
  if (typeof data !== 'string' || !data.startsWith(PREFIX_TEXT)) return undefined
  try {
    const parsed = JSON.parse(data) as { type?: unknown }
    return typeof parsed?.type === 'string' ? parsed.type : undefined
  } catch {
    return undefined
  }
}

/** Whether `value` is a usable ack id: a non-negative safe integer. */
export function isAckId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}
