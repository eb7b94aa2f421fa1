// The connection layer: one socket's API, lifecycle, queue and dispatch.
export { CloseCode } from './connection/close-codes.ts'
export { TransportError } from './connection/connection.ts'
export type { CloseInfo, CloseSummary, SocketCloseEvent, SocketErrorEvent, SocketEventMap, SocketMessageEvent, SocketOpenEvent } from './connection/events.ts'
export { defineEvents, type AnyEvents, type EmitArgs, type EventContract, type EventMap, type EventName } from './connection/contract.ts'
export { event, type EventEntry, type EventHandler, type EventHandlers, type SocketHooks, type ValidatedEvent } from './connection/hooks.ts'
export { Message, MessageFormatError, UnknownEventError } from './connection/message.ts'
export type { Payload } from './connection/payload.ts'
export { RateLimitError, type RateLimit } from './connection/rate-limit.ts'
export { ReadyState, ServerSocket, type SendData } from './connection/socket.ts'
export { ValidationError, type ValidationIssue } from './connection/validation.ts'
// Delivery: rooms, registry and fan-out behind the Hub contract.
export { envelope } from './delivery/envelope.ts'
export { MAX_ROOM_NAME, RoomError, type ConnectionInfo, type Delivered, type FanOut, type Hub, type Recipients } from './delivery/hub.ts'
export { MemoryHub } from './delivery/memory-hub.ts'
export { sockets, Sockets, Target } from './delivery/sockets.ts'
// HTTP: the upgrade inside a Hono route.
export type { ProtocolSelector, ResolvedOptions, SocketOptions } from './http/options.ts'
export { upgrade, type Upgrade } from './http/upgrade.ts'
export { websocket, websocketFor, type WebSocketHelper } from './http/websocket.ts'
// Runtime: what an adapter builds on.
export { Runtime, type FetchApp, type RevivedSocket, type RuntimeOptions, type Server, type ServeOptions, type ShutdownOptions } from './runtime/runtime.ts'
export type { Clock } from './runtime/sweep.ts'
export type { Transport } from './runtime/transport.ts'
