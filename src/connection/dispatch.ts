import type { Connection } from './connection.ts'
import { ACK, INVALID, isAckId, isReserved } from './control.ts'
import type { EventHandler, SocketHooks, ValidatedEvent } from './hooks.ts'
import { type Message, MessageFormatError, UnknownEventError } from './message.ts'
import { validate, ValidationError, type Checked, type ValidationIssue } from './validation.ts'
import { CloseCode } from './close-codes.ts'

interface Envelope {
  type?: unknown
  data?: unknown
  ack?: unknown
}

/**
 * Hands one message to the route's hooks: `events` by envelope type (validated, and
 * acknowledged when the client asked), else `message`. Returns what the application
 * code returned, so the connection can wait for it.
 */
export function dispatchMessage(conn: Connection, hooks: SocketHooks<any>, message: Message): unknown {
  const events = hooks.events
  if (!events) return hooks.message!(conn.socket, message)
  let parsed: Envelope | undefined
  if (!message.isBinary) {
    try {
      parsed = message.json()
    } catch {}
  }
  const type = parsed && typeof parsed === 'object' && typeof parsed.type === 'string' ? parsed.type : undefined
  // Reserved for the core: never handed to application code.
  if (type !== undefined && isReserved(type)) return undefined
  const ack = type !== undefined && isAckId(parsed!.ack) ? parsed!.ack : undefined
  const entry = type !== undefined && Object.hasOwn(events, type) ? events[type] : undefined
  if (entry) {
    if (typeof entry === 'function') return answer(conn, ack, entry(conn.socket, parsed!.data, message))
    return handleValidated(conn, type!, entry as ValidatedEvent<any, any>, parsed!.data, ack, message)
  }
  if (hooks.message) return hooks.message(conn.socket, message)
  if (type === undefined) throw new MessageFormatError('expected a JSON envelope {"type": string, "data": any}')
  conn.report(new UnknownEventError(type))
  if (ack !== undefined) conn.write(JSON.stringify({ type: ACK, ack, error: { message: `unknown event ${JSON.stringify(type)}` } }))
  return undefined
}

function handleValidated(
  conn: Connection,
  type: string,
  entry: ValidatedEvent<any, any>,
  data: unknown,
  ack: number | undefined,
  message: Message,
): unknown {
  const checked = validate(entry.schema, data)
  if (checked instanceof Promise) return validatedLater(conn, type, entry, checked, ack, message)
  return validated(conn, type, entry, checked, ack, message)
}

/** Runs an event's handler once its data passed the schema, or applies `invalidEvents`. */
function validated(conn: Connection, type: string, entry: ValidatedEvent<any, any>, checked: Checked, ack: number | undefined, message: Message): unknown {
  if (!checked.ok) return invalid(conn, type, checked.issues, ack)
  return answer(conn, ack, (entry.handler as EventHandler<any>)(conn.socket, checked.value, message))
}

/** {@link validated} after an async schema; apart so that its closure's scope is allocated only here. */
function validatedLater(
  conn: Connection,
  type: string,
  entry: ValidatedEvent<any, any>,
  checking: Promise<Checked>,
  ack: number | undefined,
  message: Message,
): Promise<unknown> {
  return checking.then((checked) => validated(conn, type, entry, checked, ack, message))
}

/** Sends the ack once the handler's result has settled; a throw or rejection is left to the connection (1011). */
function answer(conn: Connection, ack: number | undefined, result: unknown): unknown {
  if (ack === undefined) return result
  if (result && typeof (result as PromiseLike<unknown>).then === 'function') return answerLater(conn, ack, result as PromiseLike<unknown>)
  conn.write(ackText(ack, result))
  return undefined
}

/** {@link answer} for a promise; apart so that its closure's scope is allocated only here, not per event. */
function answerLater(conn: Connection, ack: number, result: PromiseLike<unknown>): PromiseLike<void> {
  return result.then((value) => void conn.write(ackText(ack, value)))
}

function ackText(ack: number, data: unknown): string {
  return JSON.stringify({ type: ACK, ack, data })
}

/** The route's `invalidEvents` outcome; the input itself is never echoed. */
function invalid(conn: Connection, event: string, issues: ValidationIssue[], ack: number | undefined): void {
  conn.report(new ValidationError(event, issues))
  switch (conn.options.invalidEvents) {
    case 'close':
      return conn.beginClose(CloseCode.InvalidPayload, 'invalid data')
    case 'ignore':
      return
    case 'reply':
      if (ack !== undefined) conn.write(JSON.stringify({ type: ACK, ack, error: { message: 'invalid data', issues } }))
      else conn.write(JSON.stringify({ type: INVALID, data: { event, issues } }))
  }
}
