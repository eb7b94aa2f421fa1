/**
 * Property-based tests (fast-check) of everything that reads client input: the `Message`
 * helpers, the envelope router, subprotocol and origin parsing, the handshake checks,
 * permessage-deflate offers, and close-code and reason validation. Generated inputs
 * include invalid UTF-8, lone surrogates, huge numbers, deep JSON and prototype keys.
 * Each property: no crash, no prototype pollution, and every outcome one of the documented.
 */
import fc from 'fast-check'
import { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { afterEach, describe, expect, it } from 'vitest'
import { isSendableCloseCode } from '../../src/connection/close-codes.ts'
import { answerDeflateOffer } from '../../src/http/extensions.ts'
import { checkHandshake, checkOrigin, offeredProtocols, selectProtocol } from '../../src/http/handshake.ts'
import type { SocketHooks } from '../../src/connection/hooks.ts'
import { fitsIn, Message, MessageFormatError, UnknownEventError, utf8Length } from '../../src/connection/message.ts'
import { resolveOptions, type SocketOptions } from '../../src/http/options.ts'
import { Runtime } from '../../src/runtime/runtime.ts'
import { Connection } from '../../src/connection/connection.ts'
import type { Transport } from '../../src/runtime/transport.ts'

const encoder = new TextEncoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true })

/** Strings of any UTF-16 units, and strings dense in surrogates (paired, lone, reversed) next to multi-byte characters. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '😀', 'é', '€', 'a'), maxLength: 60 }),
)
/** Bytes that are mostly not UTF-8. */
const anyBytes = fc.uint8Array({ maxLength: 200 })
/** Keys that prototype pollution would use, and a few ordinary ones. */
const nastyKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'type', 'data', 'known', '')
/** JSON text with prototype keys at any depth. */
const nastyJson = fc
  .letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(1e308), fc.bigInt().map(String)),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(fc.tuple(fc.oneof(nastyKey, fc.string({ maxLength: 8 })), tie('value')), { maxLength: 4 }),
    ),
  }))
  .value.map(toJsonText)

/** Serialises [key, value] pair lists as objects with those exact keys (JSON.stringify would drop __proto__). */
function toJsonText(value: unknown): string {
  if (Array.isArray(value) && value.every((item) => Array.isArray(item) && item.length === 2 && typeof item[0] === 'string')) {
    return `{${value.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`
  }
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`
  return JSON.stringify(value) ?? 'null'
}

const prototypeKeys = () => [Object.getOwnPropertyNames(Object.prototype).sort(), Object.getOwnPropertyNames(Array.prototype).sort()]
const before = prototypeKeys()
afterEach(() => {
  // Nothing any property did may have added to the shared prototypes.
  expect(prototypeKeys()).toEqual(before)
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
})

describe('Message', () => {
  it('a text message: text() is the string, size and fitsIn count its UTF-8 bytes exactly', () => {
    fc.assert(
      fc.property(anyText, fc.nat(1000), (text, limit) => {
        const msg = new Message(text)
        expect(msg.isBinary).toBe(false)
        expect(msg.text()).toBe(text)
        expect(msg.data).toBe(text)
        const bytes = encoder.encode(text).length
        expect(utf8Length(text)).toBe(bytes)
        expect(msg.size).toBe(bytes)
        expect(msg.bytes()).toEqual(encoder.encode(text))
        expect(fitsIn(text, limit)).toBe(bytes <= limit)
      }),
    )
  })

  it('a binary message: text() decodes valid UTF-8 or throws MessageFormatError, nothing else', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const msg = new Message(bytes)
        expect(msg.isBinary).toBe(true)
        expect(msg.size).toBe(bytes.byteLength)
        expect(Array.from(msg.bytes())).toEqual(Array.from(bytes))
        expect(new Uint8Array(msg.data as ArrayBuffer)).toEqual(bytes)
        let expected: string | undefined
        try {
          expected = strictDecoder.decode(bytes)
        } catch {}
        if (expected === undefined) expect(() => msg.text()).toThrow(MessageFormatError)
        else expect(msg.text()).toBe(expected)
      }),
    )
  })

  it('json() returns what JSON.parse returns, or throws MessageFormatError; prototype keys stay data', () => {
    fc.assert(
      fc.property(fc.oneof(nastyJson, anyText, fc.json()), (text) => {
        const msg = new Message(text)
        let expected: unknown
        let parses = true
        try {
          expected = JSON.parse(text)
        } catch {
          parses = false
        }
        if (!parses) return void expect(() => msg.json()).toThrow(MessageFormatError)
        expect(msg.json()).toEqual(expected)
        expect(msg.json()).toBe(msg.json()) // cached
      }),
    )
  })

  it('deep JSON is parsed or refused with MessageFormatError, never a crash', () => {
    for (const depth of [1000, 100_000, 1_000_000]) {
      const msg = new Message(`${'['.repeat(depth)}${']'.repeat(depth)}`)
      try {
        expect(Array.isArray(msg.json())).toBe(true)
      } catch (error) {
        expect(error).toBeInstanceOf(MessageFormatError)
      }
    }
  })
})

// ---- the envelope router, through a socket on a transport that records --------------

class FakeRuntime extends Runtime {
  readonly name = 'fake'
  protected accept() {
    return undefined
  }
}

class RecordingTransport implements Transport {
  sent: (string | Uint8Array)[] = []
  closes: [number, string][] = []
  bufferedAmount = 0
  extensions = ''
  send(data: string | Uint8Array) {
    this.sent.push(data)
  }
  close(code: number, reason: string) {
    this.closes.push([code, reason])
  }
  terminate() {}
}

function openSocket(hooks: SocketHooks<unknown>, options: SocketOptions = {}) {
  const socket = new Connection({ url: 'ws://x/', protocol: '', data: {}, options: resolveOptions(options), hooks })
  const transport = new RecordingTransport()
  const runtime = new FakeRuntime()
  runtime.open(socket, transport)
  return { socket, transport, runtime }
}

describe('the envelope router', () => {
  it('every message ends in exactly one documented outcome: handler, UnknownEventError, or close 1007', async () => {
    const envelope = fc.tuple(fc.oneof(nastyKey, fc.string({ maxLength: 8 }), fc.constant(42)), nastyJson).map(
      ([type, data]) => `{"type":${JSON.stringify(type)},"data":${data}}`,
    )
    await fc.assert(
      fc.asyncProperty(fc.oneof(envelope, nastyJson, anyText, anyBytes), async (input) => {
        const handled: unknown[] = []
        const errors: unknown[] = []
        const { socket, transport, runtime } = openSocket({
          events: { known: (_socket, data) => void handled.push(data) },
          error: (_socket, error) => void errors.push(error),
        })
        runtime.received(socket, input)
        await new Promise((resolve) => setTimeout(resolve, 0))
        let parsed: any
        try {
          parsed = typeof input === 'string' ? JSON.parse(input) : undefined
        } catch {}
        const type = parsed && typeof parsed === 'object' && typeof parsed.type === 'string' ? parsed.type : undefined
        if (type === 'known') {
          expect(handled).toEqual([parsed.data])
          expect(transport.closes).toEqual([])
        } else if (type !== undefined) {
          // Inherited names (constructor, toString, __proto__…) are never handlers.
          expect(handled).toEqual([])
          expect(errors).toHaveLength(1)
          expect(errors[0]).toBeInstanceOf(UnknownEventError)
          expect((errors[0] as UnknownEventError).type).toBe(type)
          expect(socket.readyState).toBe(1)
        } else {
          expect(handled).toEqual([])
          expect(transport.closes).toHaveLength(1)
          expect(transport.closes[0]![0]).toBe(1007)
          expect(utf8Length(transport.closes[0]![1])).toBeLessThanOrEqual(123)
        }
      }),
    )
  })
})

// ---- handshake parsing -----------------------------------------------------------------

/** Header values a Request accepts: visible ASCII, spaces and tabs, commas included. */
const headerValue = fc.string({ unit: fc.constantFrom(...' \t,;=abcXYZ019.-_"/+:'.split('')), maxLength: 60 })

function contextFor(headers: Record<string, string>): Context {
  return new Context(new Request('http://x/ws', { headers }))
}

describe('subprotocols and origins', () => {
  it('offeredProtocols: the comma-separated tokens, trimmed, none empty', () => {
    fc.assert(
      fc.property(headerValue, (offer) => {
        const offered = offeredProtocols(new Request('http://x/', { headers: { 'sec-websocket-protocol': offer } }))
        const trimmed = offer.trim()
        expect(offered).toEqual(trimmed ? trimmed.split(',').map((p) => p.trim()).filter(Boolean) : [])
        for (const p of offered) expect(p).toBe(p.trim())
      }),
    )
  })

  it('selectProtocol: something the client offered, nothing, or 400; never anything else', () => {
    const serverList = fc.array(fc.constantFrom('a', 'b', 'chat.v1', 'chat.v2', '__proto__', 'constructor'), { maxLength: 4 })
    fc.assert(
      fc.property(headerValue, serverList, fc.boolean(), fc.boolean(), (offer, protocols, lenient, useFunction) => {
        const c = contextFor({ 'sec-websocket-protocol': offer })
        const offered = offeredProtocols(c.req.raw)
        const options = resolveOptions({
          protocols: useFunction ? () => protocols[0] : protocols,
          acceptWithoutProtocol: lenient,
        })
        let chosen: string | undefined
        try {
          chosen = selectProtocol(c, options)
        } catch (error) {
          expect(error).toBeInstanceOf(HTTPException)
          expect((error as HTTPException).status).toBe(400)
          expect(lenient).toBe(false)
          expect(offered.length).toBeGreaterThan(0)
          return
        }
        if (chosen !== undefined) expect(offered).toContain(chosen)
      }),
    )
  })

  it('checkOrigin: exactly the listed origins pass, others get 403, no Origin passes', () => {
    fc.assert(
      fc.property(fc.option(fc.oneof(fc.webUrl().map((u) => new URL(u).origin), headerValue), { nil: undefined }), fc.array(fc.webUrl().map((u) => new URL(u).origin), { maxLength: 3 }), (origin, allowed) => {
        const c = contextFor(origin === undefined ? {} : { origin })
        const seen = c.req.header('origin')
        try {
          checkOrigin(c, resolveOptions({ allowedOrigins: allowed }))
          expect(seen === undefined || allowed.includes(seen)).toBe(true)
        } catch (error) {
          expect(error).toBeInstanceOf(HTTPException)
          expect((error as HTTPException).status).toBe(403)
          expect(seen !== undefined && !allowed.includes(seen)).toBe(true)
        }
      }),
    )
  })

  it('checkHandshake: version 13 and a 16-byte base64 key pass; else 426 (with the version) or 400', () => {
    const key = fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64')), fc.base64String({ maxLength: 30 }), headerValue)
    const version = fc.oneof(fc.constant('13'), fc.constant(' 13 '), headerValue, fc.integer().map(String))
    fc.assert(
      fc.property(fc.option(version, { nil: undefined }), fc.option(key, { nil: undefined }), (v, k) => {
        const headers: Record<string, string> = {}
        if (v !== undefined) headers['sec-websocket-version'] = v
        if (k !== undefined) headers['sec-websocket-key'] = k
        const request = new Request('http://x/', { headers })
        const seenVersion = request.headers.get('sec-websocket-version')?.trim()
        const seenKey = request.headers.get('sec-websocket-key')?.trim()
        const keyOk = seenKey !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(seenKey) && Buffer.from(seenKey, 'base64').length === 16
        try {
          checkHandshake(request)
          expect(seenVersion).toBe('13')
          expect(keyOk).toBe(true)
        } catch (error) {
          expect(error).toBeInstanceOf(HTTPException)
          const status = (error as HTTPException).status
          if (seenVersion !== '13') {
            expect(status).toBe(426)
            expect((error as HTTPException).getResponse().headers.get('sec-websocket-version')).toBe('13')
          } else {
            expect(status).toBe(400)
            expect(keyOk).toBe(false)
          }
        }
      }),
    )
  })

  it('answerDeflateOffer: undefined, or permessage-deflate with known, well-formed parameters only', () => {
    const param = fc.oneof(
      fc.constantFrom('server_no_context_takeover', 'client_no_context_takeover', 'client_max_window_bits'),
      fc.tuple(fc.constantFrom('server_max_window_bits', 'client_max_window_bits'), fc.oneof(fc.integer({ min: 0, max: 20 }).map(String), headerValue)).map(([k, v]) => `${k}=${v}`),
      headerValue,
    )
    const offer = fc.array(fc.tuple(fc.constantFrom('permessage-deflate', 'x-webkit-deflate-frame', 'PerMessage-Deflate', ''), fc.array(param, { maxLength: 4 })).map(([name, params]) => [name, ...params].join('; ')), { maxLength: 3 }).map((offers) => offers.join(', '))
    fc.assert(
      fc.property(fc.oneof(offer, headerValue), (header) => {
        const answer = answerDeflateOffer(header)
        if (answer === undefined) return
        const [name, ...params] = answer.split('; ')
        expect(name).toBe('permessage-deflate')
        expect(new Set(params.map((p) => p.split('=')[0])).size).toBe(params.length)
        for (const p of params) expect(p).toMatch(/^(?:server_no_context_takeover|client_no_context_takeover|(?:server|client)_max_window_bits=(?:9|1[0-5]))$/)
      }),
    )
  })
})

// ---- close codes and reasons -------------------------------------------------------------

describe('close codes and reasons', () => {
  const documented = (code: number) => code === 1000 || (code >= 3000 && code <= 4999) || [1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014].includes(code)

  it('isSendableCloseCode is true exactly for 1000–1003, 1007–1014 and 3000–4999', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -10, max: 70_000 }), fc.double(), fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e308, -0, NaN, Infinity, 1000.5, 1001.5, 3000.5, 4999.25)), (code) => {
        expect(isSendableCloseCode(code)).toBe(Number.isInteger(code) && documented(code))
      }),
    )
  })

  it('isSendableCloseCode refuses a fraction inside every sendable range (a close frame carries an integer)', () => {
    for (const code of [1000.5, 1001.5, 1013.9, 3000.5, 4999.25]) expect(isSendableCloseCode(code)).toBe(false)
    for (const code of [1000, 1001, 1013, 3000, 4999]) expect(isSendableCloseCode(code)).toBe(true)
  })

  it('socket.close(code, reason) either throws RangeError or sends exactly that code and reason', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 6000 }), fc.double()), fc.oneof(anyText, fc.string({ unit: 'grapheme', maxLength: 130 })), (code, reason) => {
        const { socket, transport, runtime } = openSocket({})
        try {
          socket.close(code, reason)
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError)
          expect(!isSendableCloseCode(code) || utf8Length(reason) > 123).toBe(true)
          expect(transport.closes).toEqual([])
          return
        }
        expect(isSendableCloseCode(code)).toBe(true)
        expect(utf8Length(reason)).toBeLessThanOrEqual(123)
        expect(transport.closes).toEqual([[code, reason]])
        expect(socket.readyState).toBe(2)
      }),
    )
  })
})
