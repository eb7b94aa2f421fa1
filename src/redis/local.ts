import type { SendData, ServerSocket } from '../index.ts'

/** A message as the sockets get it: a string for text, bytes for binary. */
export type Payload = string | Uint8Array

export function toPayload(data: SendData): Payload {
  if (typeof data === 'string' || data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  throw new TypeError('send() takes a string, an ArrayBuffer or an ArrayBufferView')
}

/** Whether a socket's route announces presence (the one place that reads the route's options). */
export function presenceOf(socket: ServerSocket<any>): boolean {
  return socket.settings.presence === true
}

/** `except` or `ids` as a list. */
export function idList(ids: string | readonly string[] | undefined): readonly string[] {
  return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids
}
