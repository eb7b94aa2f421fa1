import type { ServerSocket } from '../index.ts'

export { toPayload, type Payload } from '../connection/payload.ts'
export { idList } from '../delivery/hub.ts'

/** Whether a socket's route announces presence (the one place that reads the route's options). */
export function presenceOf(socket: ServerSocket<any>): boolean {
  return socket.options.presence === true
}
