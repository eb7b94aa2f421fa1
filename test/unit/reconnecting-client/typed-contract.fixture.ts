import WS from 'ws'
import { connect, type WebSocketConstructor } from '../../../src/client/index.ts'
type Chat = { clientToServer: { say: { text: string } }; serverToClient: { said: { text: string } }; replies: { say: { at: number } } }
const c = connect<Chat>('ws://x', { WebSocket: WS })
const d = connect<Chat>('ws://x', { WebSocket: globalThis.WebSocket })
c.emit('say', { text: 'x' })
// @ts-expect-error wrong payload
c.emit('say', { txt: 'x' })
// @ts-expect-error unknown event
c.emit('nope', 1)
c.on('said', (data) => data.text.toUpperCase())
const r: Promise<{ at: number }> = c.request('say', { text: 'x' })
const loose = connect('ws://x')
loose.emit('anything', 42)
loose.on('whatever', (d) => d.foo)
void r; void d; void loose; const x: WebSocketConstructor = WS; void x

// The server's contract, as defineEvents<In, Out>() from portsocket makes it (by shape).
declare function defineEvents<In, Out>(): { readonly '~in'?: In; readonly '~out'?: Out }
const chat = defineEvents<{ say: { text: string } }, { said: { from: string; text: string } }>()
const s = connect('ws://x', { contract: chat })
s.emit('say', { text: 'x' })
// @ts-expect-error wrong payload
s.emit('say', 'x')
// @ts-expect-error not a client event
s.emit('said', { from: '', text: '' })
s.on('said', (data) => data.from.toUpperCase())
// @ts-expect-error not a server event
s.on('say', () => {})
const t = connect<typeof chat>('ws://x')
t.emit('say', { text: 'y' })
void s; void t
