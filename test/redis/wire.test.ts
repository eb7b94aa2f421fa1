/** The messages between instances (wire.ts): batches split back into what was sent, in order. */
import { describe, expect, it } from 'vitest'
import { batch, decode, encode, payloadText, senderMark } from '../../src/redis/wire.ts'

describe('RedisHub wire format', () => {
  it('splits a batch back into its payloads and except lists, in order', () => {
    const texts = ['a', '', 'line\nbreak {"k":"x"}', 'ünï 🎉 \ud800', 'z'.repeat(1000)]
    const parts = texts.map((text, i) => ({ text, except: i === 2 ? ['s1', 's2'] : [] }))
    // Through UTF-8 as over Redis: a lone surrogate becomes U+FFFD, one code unit as before,
    // so the lengths still add up.
    const overRedis = new TextDecoder().decode(new TextEncoder().encode(batch({ f: 'i1', k: 'r', room: 'chat' }, parts)))
    const decoded = decode(overRedis)!
    expect(decoded.header).toMatchObject({ f: 'i1', k: 'r', room: 'chat' })
    expect(decoded.parts.map((p) => p.payload)).toEqual(texts.map((t) => t.replace('\ud800', '\ufffd')))
    expect(decoded.parts.map((p) => p.except)).toEqual([[], [], ['s1', 's2'], [], []])
  })

  it('carries binary batches as base64, and one delivery as a plain message', () => {
    const bytes = [new Uint8Array([1, 2, 3]), new Uint8Array([]), new Uint8Array([255])]
    const decoded = decode(batch({ f: 'i1', k: 'a', b: 1 }, bytes.map((b) => ({ text: payloadText(b).text, except: [] }))))!
    expect(decoded.header.k).toBe('a')
    expect(decoded.parts.map((p) => p.payload)).toEqual(bytes)
    const one = batch({ f: 'i1', k: 'r', room: 'r' }, [{ text: 'solo', except: ['x'] }])
    expect(one).toBe(encode({ f: 'i1', k: 'r', room: 'r', x: ['x'] }, 'solo'))
    expect(decode(one)!.parts).toEqual([{ payload: 'solo', except: ['x'] }])
  })

  it('starts every message with its sender\'s mark, and no other sender\'s', () => {
    const from = 'id "with" \\ quotes/é'
    const messages = [
      encode({ f: from, k: 'p', n: 1 }, ''),
      encode({ f: from, k: 'r', room: 'r', x: [] }, new Uint8Array([1])),
      batch({ f: from, k: 'r', room: 'r' }, [{ text: 'a', except: [] }]),
      batch({ f: from, k: 'a' }, [{ text: 'a', except: [] }, { text: 'b', except: ['x'] }]),
    ]
    for (const message of messages) {
      expect(message.startsWith(senderMark(from))).toBe(true)
      expect(decode(message)!.header.f).toBe(from)
      expect(message.startsWith(senderMark('id'))).toBe(false)
    }
    expect(messages.map((m) => m[senderMark(from).length])).toEqual(['p', 'r', 'r', 'a'])
  })

  it('rejects a batch whose lengths do not add up', () => {
    expect(decode('{"f":"i","k":"rb","room":"r","l":[2,2]}\nabc')).toBeUndefined()
    expect(decode('{"f":"i","k":"rb","room":"r","l":[1]}\nabc')).toBeUndefined()
    expect(decode('{"f":"i","k":"rb","room":"r"}\nabc')).toBeUndefined()
  })
})
