import { isReserved } from '../connection/control.ts'

/**
 * The JSON envelope that `emit` sends: `{ "type": event, "data": data }`. Throws a
 * `TypeError` for a type starting with `portsocket:`, which the core reserves.
 */
export function envelope(event: string, data: unknown): string {
  if (typeof event !== 'string') throw new TypeError('an event type must be a string')
  if (isReserved(event)) throw new TypeError(`event types starting with "portsocket:" are reserved (got ${JSON.stringify(event)})`)
  return JSON.stringify({ type: event, data })
}
