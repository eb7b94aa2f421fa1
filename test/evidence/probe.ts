/**
 * Runs the raw-frame probes of test/conformance/frames.test.ts against any servers, raw
 * runtime servers included, and prints what each answered:
 *   bun test/evidence/probe.ts rawdeno=18121,rawworkerd=18140 [case,case…]
 * (The conformance suite is the test; this is how the README's evidence was gathered.)
 */
import { openRaw, closePayload, sendHandshake, handshakeRequest } from '../support/raw-frames.ts'
const ports: Record<string, number> = Object.fromEntries((process.argv[2] ?? '').split(',').filter(Boolean).map((pair) => { const [name, port] = pair.split('='); return [name, Number(port)] }))
const cases: [string, (url: string) => Promise<any>][] = [
  ['rsv1', async (u) => { const c = await openRaw(u); c.send({ opcode: 1, payload: 'hi', rsv: 4 }); return c.ending() }],
  ['rsv2', async (u) => { const c = await openRaw(u); c.send({ opcode: 1, payload: 'hi', rsv: 2 }); return c.ending() }],
  ['opcode3', async (u) => { const c = await openRaw(u); c.send({ opcode: 3, payload: 'hi' }); return c.ending() }],
  ['opcode11', async (u) => { const c = await openRaw(u); c.send({ opcode: 11, payload: 'hi' }); return c.ending() }],
  ['unmasked', async (u) => { const c = await openRaw(u); c.send({ opcode: 1, payload: 'hi', mask: false }); return c.ending() }],
  ['ping126', async (u) => { const c = await openRaw(u); c.send({ opcode: 9, payload: Buffer.alloc(126, 1) }); return c.ending() }],
  ['pingFrag', async (u) => { const c = await openRaw(u); c.send({ opcode: 9, payload: 'a', fin: false }); return c.ending() }],
  ['strayCont', async (u) => { const c = await openRaw(u); c.send({ opcode: 0, payload: 'x' }); return c.ending() }],
  ['textDuringFrag', async (u) => { const c = await openRaw(u); c.send({ opcode: 1, payload: 'a', fin: false }); c.send({ opcode: 1, payload: 'b' }); return c.ending() }],
  ['badUtf8', async (u) => { const c = await openRaw(u); c.send({ opcode: 1, payload: Buffer.from([0x68, 0xc3, 0x28]) }); return c.ending() }],
  ['badUtf8Frag', async (u) => { const c = await openRaw(u); c.send({ opcode: 1, payload: Buffer.from([0x68, 0xe2, 0x82]), fin: false }); c.send({ opcode: 0, payload: Buffer.from([0x28]) }); return c.ending() }],
  ['goodUtf8Frag', async (u) => { const c = await openRaw(u); c.send({ opcode: 1, payload: Buffer.from([0x68, 0xe2, 0x82]), fin: false }); c.send({ opcode: 0, payload: Buffer.from([0xac]) }); const t = await c.nextText().catch(e => e.message); c.send({opcode:8,payload:closePayload(1000)}); return { t, e: await c.ending() } }],
  ['close1byte', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: Buffer.from([3]) }); return c.ending() }],
  ['close1005', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(1005) }); return c.ending() }],
  ['close1006', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(1006) }); return c.ending() }],
  ['close999', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(999) }); return c.ending() }],
  ['close5000', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(5000) }); return c.ending() }],
  ['close1004', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(1004) }); return c.ending() }],
  ['close1015', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(1015) }); return c.ending() }],
  ['closeBadReason', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(1000, Buffer.from([0xff, 0xfe])) }); return c.ending() }],
  ['close4000', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(4000, 'bye') }); return c.ending() }],
  ['closeEmpty', async (u) => { const c = await openRaw(u); c.send({ opcode: 8 }); return c.ending() }],
  ['ping', async (u) => { const c = await openRaw(u); c.send({ opcode: 9, payload: 'hello' }); const f = await c.nextFrame(3000).catch(e => e.message); c.send({opcode:8,payload:closePayload(1000)}); return { f: f.payload ? [f.opcode, f.payload.toString()] : f, e: (await c.ending()).code } }],
  ['len64', async (u) => { const c = await openRaw(u); c.send({ opcode: 2, payload: Buffer.alloc(70000, 3), lengthForm: 64 }); const f = await c.nextFrame(5000).catch(e => e.message); c.send({opcode:8,payload:closePayload(1000)}); return { f: f.payload ? f.payload.length : f, e: (await c.ending()).code } }],
  ['len64small', async (u) => { const c = await openRaw(u); c.send({ opcode: 1, payload: 'abc', lengthForm: 64 }); const f = await c.nextFrame(3000).catch(e => e.message); c.send({opcode:8,payload:closePayload(1000)}); return { f: f.payload ? f.payload.toString() : f, e: (await c.ending()).code } }],
  ['len64msb', async (u) => { const c = await openRaw(u); c.send({ opcode: 2, payload: Buffer.alloc(0), declaredLength: 2n**63n + 5n, lengthForm: 64 }); return c.ending(8000) }],
  ['declared1T', async (u) => { const c = await openRaw(u); c.send({ opcode: 2, payload: Buffer.alloc(0), declaredLength: 2n**40n }); return c.ending(8000) }],
  ['declared100M', async (u) => { const c = await openRaw(u); c.send({ opcode: 2, payload: Buffer.alloc(0), declaredLength: 100*1024*1024 }); return c.ending(8000) }],
  ['declared2M', async (u) => { const c = await openRaw(u); c.send({ opcode: 2, payload: Buffer.alloc(0), declaredLength: 2*1024*1024 }); return c.ending(8000) }],
  ['afterClose', async (u) => { const c = await openRaw(u); c.send({ opcode: 8, payload: closePayload(1000) }); c.sendText('after'); return c.ending() }],
  ['badVersion', async (u) => { const { socket, answer } = await sendHandshake(u, handshakeRequest(u, { 'sec-websocket-version': '12' })); socket.destroy(); return [answer.status, answer.headers['sec-websocket-version']] }],
  ['noKey', async (u) => { const { socket, answer } = await sendHandshake(u, handshakeRequest(u, { 'sec-websocket-key': null })); socket.destroy(); return answer.status }],
  ['badKey', async (u) => { const { socket, answer } = await sendHandshake(u, handshakeRequest(u, { 'sec-websocket-key': 'short' })); socket.destroy(); return answer.status }],
  ['noVersion', async (u) => { const { socket, answer } = await sendHandshake(u, handshakeRequest(u, { 'sec-websocket-version': null })); socket.destroy(); return answer.status }],
  ['slow', async (u) => { const req = Buffer.from(handshakeRequest(u)); const pieces = []; for (let i = 0; i < req.length; i += 8) pieces.push(req.subarray(i, i + 8)); const { socket, answer } = await sendHandshake(u, pieces, { delayMs: 10, timeoutMs: 15000 }); socket.destroy(); return answer.status }],
]
for (const [rt, port] of Object.entries(ports)) {
  for (const [name, fn] of cases) {
    if (process.argv[3] && !process.argv[3].split(',').includes(name)) continue
    const t0 = Date.now()
    try {
      const r = await fn(`ws://127.0.0.1:${port}/ws/echo`)
      if (r && r.frames) r.frames = r.frames.map((f: any) => [f.opcode, f.payload.length])
      console.log(rt, name, JSON.stringify(r), Date.now() - t0 + 'ms')
    } catch (e) { console.log(rt, name, 'ERR', (e as Error).message, Date.now() - t0 + 'ms') }
  }
  const ok = await fetch(`http://127.0.0.1:${port}/health`).then(r => r.status).catch(e => e.message)
  console.log(rt, 'health', ok)
}
