/**
 * The chat's event contract, shared by the server (examples/chat/app.ts) and the client
 * (`connect<Chat>(…)` from portsocket/client).
 */

/** Who someone is in a room: the `data` of their connection. */
export interface Member {
  name: string
  room: string
}

/** One chat message as the server relays it. */
export interface ChatMessage {
  /** Server-assigned, unique: the page shows a message once even if it arrives twice (history on rejoin). */
  id: string
  /** The sender's connection id. */
  from: string
  name: string
  text: string
  /** The sender's own id for the message, so its page can mark it as delivered. */
  nonce?: string
  /** Server time, ms since the epoch. */
  at: number
}

export type Chat = {
  clientToServer: {
    say: { text: string; nonce?: string }
  }
  serverToClient: {
    /** Sent on every (re)connection after the room was joined: who is here and the recent messages. */
    welcome: { id: string; room: string; members: { id: string; name: string }[]; history: ChatMessage[] }
    said: ChatMessage
    presence: { room: string; action: 'join' | 'leave'; member: { id: string; data: Member } }
  }
}
