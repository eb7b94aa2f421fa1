import { describe, expect, it } from 'vitest'
import { fitsIn, Message, MessageFormatError, utf8Length } from '../../src/connection/message.ts'

describe('Message', () => {
  it('reads text as text, JSON and bytes', () => {
    const msg = new Message('{"a":"é"}')
    expect(msg.isBinary).toBe(false)
    expect(msg.text()).toBe('{"a":"é"}')
    expect(msg.json()).toEqual({ a: 'é' })
    expect(msg.size).toBe(10)
    expect([...msg.bytes()]).toEqual([...new TextEncoder().encode('{"a":"é"}')])
  })

  it('reads binary as an ArrayBuffer and a plain Uint8Array even from a Buffer slice', () => {
    const pool = Buffer.from([0, 104, 105, 0])
    const msg = new Message(pool.subarray(1, 3))
    expect(msg.isBinary).toBe(true)
    expect(msg.bytes().constructor).toBe(Uint8Array)
    expect([...msg.bytes()]).toEqual([104, 105])
    const data = msg.data as ArrayBuffer
    expect(data).toBeInstanceOf(ArrayBuffer)
    expect(data.byteLength).toBe(2)
    expect(msg.text()).toBe('hi')
  })

  it('throws MessageFormatError with the parser reason for malformed JSON', () => {
    const msg = new Message('{"a":')
    expect(() => msg.json()).toThrow(MessageFormatError)
    expect(() => msg.json()).toThrow(/^message is not valid JSON: /)
  })

  it('throws MessageFormatError for binary that is not UTF-8 when read as text', () => {
    expect(() => new Message(new Uint8Array([0xff, 0xfe])).text()).toThrow(MessageFormatError)
  })
})

describe('utf8Length and fitsIn', () => {
  it('counts UTF-8 bytes, surrogate pairs included', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀é€', '\ud800']) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).byteLength)
    }
  })

  it('decides limits by bytes for text and binary', () => {
    expect(fitsIn('é'.repeat(512), 1024)).toBe(true)
    expect(fitsIn('é'.repeat(513), 1024)).toBe(false)
    expect(fitsIn('a'.repeat(1025), 1024)).toBe(false)
    expect(fitsIn(new Uint8Array(1024), 1024)).toBe(true)
    expect(fitsIn(new Uint8Array(1025), 1024)).toBe(false)
  })
})
