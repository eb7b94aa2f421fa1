import { describe, expect, it } from 'vitest'
import { connect } from '../support/client.ts'
import { wsUrl } from '../support/env.ts'
import { newTag, waitForLog } from '../support/fixture-log.ts'
import { baseUrl } from '../support/env.ts'

describe('messages', () => {
  it('echoes text as text and binary as binary', async () => {
    const client = await connect(wsUrl('/ws/echo'))
    client.send('héllo ✓')
    const text = await client.next()
    expect(text.isBinary).toBe(false)
    expect(text.data.toString()).toBe('héllo ✓')
    client.send(Buffer.from([0, 1, 2, 255]))
    const binary = await client.next()
    expect(binary.isBinary).toBe(true)
    expect([...(binary.data as Buffer)]).toEqual([0, 1, 2, 255])
    client.close()
  })

  it('hands binary to the handler as ArrayBuffer data and a plain Uint8Array', async () => {
    const client = await connect(wsUrl('/ws/describe'))
    client.send(Buffer.from('hi'))
    expect(await client.nextJson()).toEqual({
      isBinary: true,
      dataType: '[object ArrayBuffer]',
      bytesType: '[object Uint8Array]',
      bytesIsPlain: true,
      size: 2,
      text: 'hi',
      bytes: [104, 105],
    })
    client.close()
  })

  it('hands text to the handler as a string, with its UTF-8 size and bytes', async () => {
    const client = await connect(wsUrl('/ws/describe'))
    client.send('é€')
    expect(await client.nextJson()).toEqual({
      isBinary: false,
      dataType: 'string',
      bytesType: '[object Uint8Array]',
      bytesIsPlain: true,
      size: 5,
      text: 'é€',
      bytes: [0xc3, 0xa9, 0xe2, 0x82, 0xac],
    })
    client.close()
  })

  it('parses JSON with msg.json()', async () => {
    const client = await connect(wsUrl('/ws/json'))
    client.sendJson({ a: [1, 2], b: 'c' })
    expect(await client.nextJson()).toEqual({ ok: true, value: { a: [1, 2], b: 'c' } })
    client.close()
  })

  it('gives the handler a clear MessageFormatError for malformed JSON, and the socket stays open', async () => {
    const client = await connect(wsUrl('/ws/json'))
    client.send('{"a": ')
    const reply = (await client.nextJson()) as { ok: boolean; name: string; isFormatError: boolean; message: string }
    expect(reply.ok).toBe(false)
    expect(reply.name).toBe('MessageFormatError')
    expect(reply.isFormatError).toBe(true)
    expect(reply.message).toMatch(/^message is not valid JSON/)
    client.sendJson(1)
    expect(await client.nextJson()).toEqual({ ok: true, value: 1 })
    client.close()
  })

  it('closes with 1007 when malformed JSON escapes the handler, and reports it to the error hook', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/json-strict?tag=${tag}`))
    client.send('not json')
    const closed = await client.waitClosed()
    expect(closed.code).toBe(1007)
    expect(closed.reason).toMatch(/not valid JSON/)
    const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
    expect(error.name).toBe('MessageFormatError')
  })

  it('works with upgrade() and for await', async () => {
    const client = await connect(wsUrl('/ws/iterate'))
    client.send('one')
    client.send('two')
    expect(await client.nextText()).toBe('iter:one')
    expect(await client.nextText()).toBe('iter:two')
    client.close()
  })

  it('works with upgrade() and addEventListener, with data from the upgrade', async () => {
    const client = await connect(wsUrl('/ws/listen'))
    expect(await client.nextText()).toBe('open:hi')
    client.send(Buffer.from([9, 8]))
    const reply = await client.next()
    expect(reply.isBinary).toBe(true)
    expect([...(reply.data as Buffer)]).toEqual([9, 8])
    client.close()
  })

  it('counts messages in and out for the close hook', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/echo?tag=${tag}`))
    for (const word of ['a', 'b', 'c']) client.send(word)
    for (let i = 0; i < 3; i++) await client.next()
    client.close(1000)
    const closed = await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    expect(closed).toMatchObject({ in: 3, out: 3 })
  })
})
