/**
 * RFC 6455 at the frame level, driven by a raw client that writes bytes over TCP (the
 * cases Autobahn's fuzzing client sends). Expected: the RFC's close code (1002 protocol
 * error, 1007 invalid payload, 1009 too big), the connection ended, and the server still
 * serving everyone else. Where a runtime's own parser answers differently and portsocket
 * cannot see the frame, the runtime's row in test/support/capabilities.ts (and the
 * README's "Protocol edges" table) says what happens, and the case asserts exactly that.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connect, type TestClient } from '../support/client.ts'
import { baseUrl, can, runtime, wsUrl } from '../support/env.ts'
import { newTag, waitForLog } from '../support/fixture-log.ts'
import { closePayload, encodeFrame, handshakeRequest, openRaw, Opcode, sendHandshake, type Ending, type FrameSpec } from '../support/raw-frames.ts'

const frames = can.frames

let bystander: TestClient
beforeAll(async () => {
  bystander = await connect(wsUrl('/ws/echo'))
})
afterAll(() => bystander.close())
// One bad connection never disturbs the others.
afterEach(async () => {
  const text = `still here ${newTag()}`
  bystander.send(text)
  expect(await bystander.nextText()).toBe(text)
})

/** Opens /ws/echo raw, sends the frames, and waits for the connection to end. */
async function probe(specs: FrameSpec[], path = '/ws/echo'): Promise<Ending> {
  const conn = await openRaw(wsUrl(path))
  for (const spec of specs) conn.send(spec)
  return conn.ending(5000)
}

/**
 * The connection failed as RFC 6455 §7.1.7 says: ended, after a close frame with `code`
 * (or, where the runtime drops a failing connection without one, with no close frame).
 */
function expectFailed(ending: Ending, code: number, closeFrame = frames.closeFrameOnProtocolError): void {
  expect(ending.how, 'the server ended the connection').not.toBe('timeout')
  expect(ending.frames.filter((f) => f.opcode === Opcode.Text || f.opcode === Opcode.Binary), 'nothing was delivered').toEqual([])
  if (closeFrame) expect(ending.code).toBe(code)
  else expect(ending.code, `${runtime} ends the connection without a close frame`).toBeUndefined()
}

describe('frame header', () => {
  for (const rsv of [4, 2, 1]) {
    it(`a frame with reserved bit ${rsv === 4 ? 'RSV1' : rsv === 2 ? 'RSV2' : 'RSV3'} set (no extension negotiated) fails with 1002`, async () => {
      expectFailed(await probe([{ opcode: Opcode.Text, payload: 'hi', rsv }]), 1002)
    })
  }

  for (const opcode of [3, 7, 11, 15]) {
    it(`reserved opcode ${opcode} fails with 1002`, async () => {
      expectFailed(await probe([{ opcode, payload: 'hi' }]), 1002)
    })
  }

  it('an unmasked client frame fails with 1002', async () => {
    const conn = await openRaw(wsUrl('/ws/echo'))
    conn.send({ opcode: Opcode.Text, payload: 'naked', mask: false })
    if (frames.rejectsUnmasked) return expectFailed(await conn.ending(), 1002)
    // Documented: this runtime's parser accepts it and portsocket never sees the mask bit.
    expect(await conn.nextText()).toBe('naked')
    conn.send({ opcode: Opcode.Close, payload: closePayload(1000) })
    expect((await conn.ending()).code).toBe(1000)
  })

  it('a 64-bit length is read, for a large message and for a small one', async () => {
    const conn = await openRaw(wsUrl('/ws/echo'))
    conn.send({ opcode: Opcode.Binary, payload: Buffer.alloc(70_000, 3), lengthForm: 64 })
    const big = await conn.nextFrame(10_000)
    expect(big.payload.length).toBe(70_000)
    conn.send({ opcode: Opcode.Text, payload: 'abc', lengthForm: 64 })
    expect(await conn.nextText()).toBe('abc')
    conn.send({ opcode: Opcode.Close, payload: closePayload(1000) })
    expect((await conn.ending()).code).toBe(1000)
  })

  it('a 64-bit length with the most significant bit set fails (1002 or 1009)', async () => {
    const ending = await probe([{ opcode: Opcode.Binary, declaredLength: 2n ** 63n + 5n, lengthForm: 64 }])
    expect(ending.how).not.toBe('timeout')
    if (frames.closeFrameOnProtocolError) expect([1002, 1009]).toContain(ending.code)
    else expect(ending.code).toBeUndefined()
  })
})

describe('declared lengths: nothing is held for bytes that were only announced', () => {
  it('a frame declaring 1 TiB, with no payload sent, is refused at once', async () => {
    expectFailed(await probe([{ opcode: Opcode.Binary, payload: Buffer.alloc(100), declaredLength: 2n ** 40n }]), 1009)
  })

  it('a frame declaring more than the 1 MiB limit but under the runtime ceiling: 1009, at the header or once it arrives', async () => {
    const conn = await openRaw(wsUrl('/ws/echo'))
    const frame = encodeFrame({ opcode: Opcode.Binary, payload: Buffer.alloc(2 * 1024 * 1024, 5) })
    conn.write(frame.subarray(0, 64 * 1024))
    if (frames.refusesDeclaredLength) return expectFailed(await conn.ending(), 1009)
    // Documented: the runtime waits for the payload, allocating only what arrived; the
    // others are served meanwhile, and portsocket refuses the message once it is whole.
    await new Promise((r) => setTimeout(r, 300))
    expect(conn.ended).toBe(false)
    const text = `meanwhile ${newTag()}`
    bystander.send(text)
    expect(await bystander.nextText()).toBe(text)
    conn.write(frame.subarray(64 * 1024))
    expectFailed(await conn.ending(10_000), 1009, true)
  })
})

describe('control frames', () => {
  it('a ping is answered with a pong carrying its payload', async () => {
    const conn = await openRaw(wsUrl('/ws/echo'))
    conn.send({ opcode: Opcode.Ping, payload: 'hello ping' })
    const pong = await conn.nextFrame(5000, (f) => f.opcode === Opcode.Pong)
    expect(pong.payload.toString()).toBe('hello ping')
    conn.send({ opcode: Opcode.Close, payload: closePayload(1000) })
    expect((await conn.ending()).code).toBe(1000)
  })

  it('a control frame over 125 bytes fails with 1002', async () => {
    const conn = await openRaw(wsUrl('/ws/echo'))
    conn.send({ opcode: Opcode.Ping, payload: Buffer.alloc(126, 1) })
    if (frames.controlFrameLimit) return expectFailed(await conn.ending(), 1002)
    // Documented: this runtime answers the oversized ping.
    const pong = await conn.nextFrame(5000, (f) => f.opcode === Opcode.Pong)
    expect(pong.payload.length).toBe(126)
    conn.destroy()
  })

  it('a fragmented control frame fails with 1002', async () => {
    expectFailed(await probe([{ opcode: Opcode.Ping, payload: 'a', fin: false }]), 1002)
  })
})

describe('fragmentation', () => {
  it('a continuation frame with no message started fails with 1002', async () => {
    expectFailed(await probe([{ opcode: Opcode.Continuation, payload: 'stray' }]), 1002)
  })

  it('a new data frame inside a fragmented message fails with 1002', async () => {
    expectFailed(await probe([{ opcode: Opcode.Text, payload: 'a', fin: false }, { opcode: Opcode.Text, payload: 'b' }]), 1002)
  })

  it('a message in fragments, a code point split between them, arrives whole', async () => {
    const conn = await openRaw(wsUrl('/ws/echo'))
    conn.send({ opcode: Opcode.Text, payload: Buffer.from([0x68, 0xe2, 0x82]), fin: false })
    conn.send({ opcode: Opcode.Ping, payload: 'between' }) // control frames may interleave
    conn.send({ opcode: Opcode.Continuation, payload: Buffer.from([0xac]) })
    expect(await conn.nextText()).toBe('h€')
    conn.send({ opcode: Opcode.Close, payload: closePayload(1000) })
    expect((await conn.ending()).code).toBe(1000)
  })
})

describe('UTF-8', () => {
  const cases: [string, FrameSpec[]][] = [
    ['in one frame', [{ opcode: Opcode.Text, payload: Buffer.from([0x68, 0xc3, 0x28]) }]],
    [
      'across fragments',
      [
        { opcode: Opcode.Text, payload: Buffer.from([0x68, 0xe2, 0x82]), fin: false },
        { opcode: Opcode.Continuation, payload: Buffer.from([0x28]) },
      ],
    ],
    ['as an encoded surrogate', [{ opcode: Opcode.Text, payload: Buffer.from([0xed, 0xa0, 0x80]) }]],
  ]
  for (const [where, specs] of cases) {
    it(`text that is not valid UTF-8 (${where}) fails with 1007`, async () => {
      const conn = await openRaw(wsUrl('/ws/echo'))
      for (const spec of specs) conn.send(spec)
      if (frames.validatesUtf8) return expectFailed(await conn.ending(), 1007)
      // Documented: this runtime decodes with replacement characters before portsocket sees it.
      expect(await conn.nextText()).toContain('\uFFFD')
      conn.destroy()
    })
  }
})

describe('close frames', () => {
  for (const code of [999, 1004, 1006, 1015, 1016, 2999, 5000]) {
    it(`close code ${code}, which no peer may send, fails with 1002`, async () => {
      // Every runtime (workerd through portsocket's answer) sends a close frame here.
      expectFailed(await probe([{ opcode: Opcode.Close, payload: closePayload(code) }]), 1002, true)
    })
  }

  it('close code 1005 on the wire fails with 1002', async () => {
    const ending = await probe([{ opcode: Opcode.Close, payload: closePayload(1005) }])
    if (frames.validatesClosePayload) return expectFailed(ending, 1002, true)
    // Documented: workerd reports it as a close without a code, answered with 1000.
    expect(ending).toMatchObject({ code: 1000, how: 'end' })
  })

  it('a close frame with a 1-byte payload fails with 1002', async () => {
    const ending = await probe([{ opcode: Opcode.Close, payload: Buffer.from([3]) }])
    if (frames.validatesClosePayload) return expectFailed(ending, 1002)
    expect(ending).toMatchObject({ code: 1000, how: 'end' })
  })

  it('a close reason that is not valid UTF-8 fails with 1007', async () => {
    const ending = await probe([{ opcode: Opcode.Close, payload: closePayload(1000, Buffer.from([0xff, 0xfe])) }])
    if (frames.validatesClosePayload) return expectFailed(ending, 1007)
    expect(ending).toMatchObject({ code: 1000, how: 'end' })
  })

  for (const [code, reason] of [
    [1000, ''],
    [1001, 'going'],
    [4000, 'bye'],
  ] as const) {
    it(`a valid close (${code}) is answered with the same code, reaches the close hook, and the connection ends`, async () => {
      const tag = newTag()
      const conn = await openRaw(wsUrl(`/ws/echo?tag=${tag}`))
      conn.send({ opcode: Opcode.Close, payload: closePayload(code, reason) })
      const ending = await conn.ending()
      expect(ending).toMatchObject({ code, how: 'end' })
      expect(await waitForLog(baseUrl, tag, (e) => e.event === 'close')).toMatchObject({ code, reason })
    })
  }

  it('an empty close frame is answered and the connection ends', async () => {
    const ending = await probe([{ opcode: Opcode.Close }])
    expect(ending.how).toBe('end')
    expect([1000, 1005]).toContain(ending.code)
  })

  it('data after the close frame is never delivered', async () => {
    const tag = newTag()
    const conn = await openRaw(wsUrl(`/ws/echo?tag=${tag}`))
    conn.send({ opcode: Opcode.Close, payload: closePayload(1000) })
    conn.sendText('after the close')
    const ending = await conn.ending()
    expect(ending.code).toBe(1000)
    expect(ending.frames.filter((f) => f.opcode === Opcode.Text)).toEqual([])
    await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    const log = await (await fetch(`${baseUrl}/log/${tag}`)).json()
    expect(log.filter((e: { event: string }) => e.event === 'message')).toEqual([])
  })
})

describe('many bad connections at once', () => {
  it('fifty connections breaking the protocol in ten ways all end, and the server serves everyone else', async () => {
    const bad: FrameSpec[][] = [
      [{ opcode: Opcode.Text, payload: 'x', rsv: 4 }],
      [{ opcode: 5, payload: 'x' }],
      [{ opcode: Opcode.Ping, payload: 'x', fin: false }],
      [{ opcode: Opcode.Continuation, payload: 'x' }],
      [{ opcode: Opcode.Text, payload: 'a', fin: false }, { opcode: Opcode.Binary, payload: 'b' }],
      [{ opcode: Opcode.Close, payload: closePayload(5000) }],
      [{ opcode: Opcode.Close, payload: closePayload(1006) }],
      [{ opcode: Opcode.Binary, declaredLength: 2n ** 40n }],
      [{ opcode: Opcode.Binary, declaredLength: 2n ** 63n, lengthForm: 64 }],
      [{ opcode: Opcode.Close, payload: Buffer.from([1]) }],
    ]
    const endings = await Promise.all(Array.from({ length: 50 }, (_, i) => probe(bad[i % bad.length]!)))
    for (const ending of endings) expect(ending.how).not.toBe('timeout')
    const others = await Promise.all(Array.from({ length: 5 }, () => connect(wsUrl('/ws/echo'))))
    for (const [i, other] of others.entries()) {
      other.send(`fine ${i}`)
      expect(await other.nextText()).toBe(`fine ${i}`)
      other.close()
    }
  })
})

describe('handshake', () => {
  const answer = async (headers: Record<string, string | null>) => {
    const url = wsUrl('/ws/echo')
    const { socket, answer } = await sendHandshake(url, handshakeRequest(url, headers))
    socket.destroy()
    return answer
  }

  it('a version other than 13 is refused with 426 and Sec-WebSocket-Version: 13', async () => {
    for (const version of ['12', '8', 'x']) {
      const res = await answer({ 'sec-websocket-version': version })
      if (frames.checksHandshake) {
        expect(res.status).toBe(426)
        expect(res.headers['sec-websocket-version']).toBe('13')
      } else {
        // Documented: workerd's front end refuses it before the Worker runs.
        expect(res.status).toBe(400)
      }
    }
  })

  it('a missing version is refused', async () => {
    const res = await answer({ 'sec-websocket-version': null })
    expect([400, 426]).toContain(res.status)
  })

  it('a missing Sec-WebSocket-Key is refused with 400', async () => {
    expect((await answer({ 'sec-websocket-key': null })).status).toBe(400)
  })

  it('a malformed Sec-WebSocket-Key is refused with 400', async () => {
    for (const key of ['short', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'not base64 at all!!!!!==']) {
      const res = await answer({ 'sec-websocket-key': key })
      // Documented: workerd's front end completes the handshake before the Worker sees the key.
      expect(res.status).toBe(frames.checksHandshake ? 400 : 101)
    }
  })

  it('a handshake sent a few bytes at a time still opens, and others are served meanwhile', async () => {
    const url = wsUrl('/ws/echo')
    const request = Buffer.from(handshakeRequest(url))
    const pieces: Buffer[] = []
    for (let i = 0; i < request.length; i += 16) pieces.push(request.subarray(i, i + 16))
    const slow = sendHandshake(url, pieces, { delayMs: 15, timeoutMs: 15_000 })
    const text = `during a slow handshake ${newTag()}`
    bystander.send(text)
    expect(await bystander.nextText()).toBe(text)
    const { socket, answer } = await slow
    expect(answer.status).toBe(101)
    socket.destroy()
  })

  it('a handshake that stops halfway does not block other connections', async () => {
    const url = wsUrl('/ws/echo')
    const request = handshakeRequest(url)
    const half = sendHandshake(url, [Buffer.from(request.slice(0, request.length / 2))], { timeoutMs: 1500 }).catch((e: Error) => e)
    const other = await connect(wsUrl('/ws/echo'))
    other.send('unblocked')
    expect(await other.nextText()).toBe('unblocked')
    other.close()
    expect(await half).toBeInstanceOf(Error) // no answer to half a request
  })
})
