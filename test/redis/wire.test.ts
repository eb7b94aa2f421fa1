/** The messages between instances (wire.ts): batches split back into what was sent, in order. */
import { describe, expect, it } from 'vitest'
import { batch, decode, encode, payloadText } from '../../src/redis/wire.ts'

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

  it('rejects a batch whose lengths do not add up', () => {
    expect(decode('{"f":"i","k":"rb","room":"r","l":[2,2]}\nabc')).toBeUndefined()
    expect(decode('{"f":"i","k":"rb","room":"r","l":[1]}\nabc')).toBeUndefined()
    expect(decode('{"f":"i","k":"rb","room":"r"}\nabc')).toBeUndefined()
  })
})
