import type { StandardSchemaV1 } from '@standard-schema/spec'
import { describe, expect, it, vi } from 'vitest'
import { TransportError } from '../../src/connection/connection.ts'
import { event } from '../../src/connection/hooks.ts'
import { ValidationError } from '../../src/connection/validation.ts'
import { envelope } from '../../src/delivery/envelope.ts'
import { make, tick } from './support.ts'

/** A Standard Schema v1 for `{ text: string }` that upper-cases the text; async when asked. */
function textSchema(async = false): StandardSchemaV1<unknown, { text: string }> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate(value) {
        const ok = typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string'
        const result: StandardSchemaV1.Result<{ text: string }> = ok
          ? { value: { text: (value as { text: string }).text.toUpperCase() } }
          : { issues: [{ message: 'text must be a string', path: [{ key: 'text' }, 0] }] }
        return async ? Promise.resolve(result) : result
      },
    },
  }
}

describe('request/ack', () => {
  it('answers an envelope with an ack id once its handler settles, with the value', async () => {
    const { transport, open, received } = make({}, {
      events: {
        add: (_s, [a, b]: number[]) => a! + b!,
        later: async () => 'done',
        plain: () => 'no ack asked',
      },
    })
    open()
    received(JSON.stringify({ type: 'add', data: [2, 3], ack: 7 }))
    received(JSON.stringify({ type: 'later', ack: 0 }))
    received(JSON.stringify({ type: 'plain' }))
    received(JSON.stringify({ type: 'plain', ack: -1 })) // not an ack id: no answer
    await tick()
    expect(transport.json()).toEqual([
      { type: 'portsocket:ack', ack: 7, data: 5 },
      { type: 'portsocket:ack', ack: 0, data: 'done' },
    ])
  })

  it('a handler that throws closes 1011 and sends no ack', async () => {
    const errors: unknown[] = []
    const { transport, open, received } = make({}, {
      events: { boom: () => Promise.reject(new Error('no')) },
      error: (_s, e) => void errors.push(e),
    })
    open()
    received(JSON.stringify({ type: 'boom', ack: 1 }))
    await tick()
    expect(transport.json()).toEqual([])
    expect(transport.closes).toEqual([[1011, 'internal error']])
    expect(errors).toHaveLength(1)
  })

  it('answers an unknown event with an ack error', async () => {
    const { transport, open, received } = make({}, { events: {}, error() {} })
    open()
    received(JSON.stringify({ type: 'nope', ack: 3 }))
    expect(transport.json()).toEqual([{ type: 'portsocket:ack', ack: 3, error: { message: 'unknown event "nope"' } }])
  })
})

describe('reserved types', () => {
  it('never hands portsocket: envelopes to events or message hooks', () => {
    const seen = vi.fn()
    const { open, received } = make({}, { events: { 'portsocket:ping': seen }, message: seen })
    open()
    received('{"type":"portsocket:whatever","data":1}')
    received('{ "type": "portsocket:spaced" }')
    expect(seen).not.toHaveBeenCalled()
  })

  it('emit() refuses them with a TypeError', () => {
    const { socket, open } = make()
    open()
    expect(() => socket.emit('portsocket:ack', 1)).toThrow(TypeError)
    expect(() => envelope('portsocket:x', 1)).toThrow(TypeError)
    expect(socket.emit('fine', 1)).toBe(true)
  })
})

describe('schema validation', () => {
  for (const async of [false, true]) {
    it(`hands the handler the schema's output (${async ? 'async' : 'sync'} schema)`, async () => {
      const seen: unknown[] = []
      const { open, received } = make({}, {
        events: { say: event(textSchema(async), (_s, data) => void seen.push(data.text)) },
      })
      open()
      received(JSON.stringify({ type: 'say', data: { text: 'hi' } }))
      await tick()
      expect(seen).toEqual(['HI'])
    })
  }

  it("'reply' (default): tells the client what is wrong without echoing the input, reports a ValidationError, stays open", async () => {
    const errors: unknown[] = []
    const handler = vi.fn()
    const { socket, transport, open, received } = make({}, {
      events: { say: { schema: textSchema(), handler } },
      error: (_s, e) => void errors.push(e),
    })
    open()
    received(JSON.stringify({ type: 'say', data: { text: 'SECRET-INPUT'.length } }))
    received(JSON.stringify({ type: 'say', data: 42, ack: 9 }))
    await tick()
    expect(handler).not.toHaveBeenCalled()
    const issues = [{ message: 'text must be a string', path: ['text', 0] }]
    expect(transport.json()).toEqual([
      { type: 'portsocket:invalid', data: { event: 'say', issues } },
      { type: 'portsocket:ack', ack: 9, error: { message: 'invalid data', issues } },
    ])
    expect(transport.sent.join('')).not.toContain('42')
    expect(errors[0]).toBeInstanceOf(ValidationError)
    expect(errors[0]).toMatchObject({ event: 'say', issues })
    expect(socket.readyState).toBe(1)
  })

  it("'ignore' sends nothing; 'close' closes 1007", async () => {
    for (const invalidEvents of ['ignore', 'close'] as const) {
      const errors: unknown[] = []
      const { transport, open, received } = make({ invalidEvents }, {
        events: { say: { schema: textSchema(), handler() {} } },
        error: (_s, e) => void errors.push(e),
      })
      open()
      received(JSON.stringify({ type: 'say', data: 1 }))
      await tick()
      expect(transport.sent).toEqual([])
      expect(errors[0]).toBeInstanceOf(ValidationError)
      expect(transport.closes).toEqual(invalidEvents === 'close' ? [[1007, 'invalid data']] : [])
    }
  })
})

describe('transport errors', () => {
  it('reach the error hook, then the close hook with the code the client saw', () => {
    const log: unknown[] = []
    const { open, detached } = make({}, {
      error: (_s, e) => void log.push(['error', (e as Error).name]),
      close: (_s, info) => void log.push(['close', info.code]),
    })
    open()
    detached(1009, '', new TransportError('Max payload size exceeded', 1009))
    expect(log).toEqual([
      ['error', 'TransportError'],
      ['close', 1009],
    ])
  })

  it('an upgrade that failed after accept settles closed with 1006 and ends for await', async () => {
    const { socket, detached } = make()
    const iterating = (async () => {
      for await (const _ of socket) void _
      return 'ended'
    })()
    detached(1006, 'upgrade failed')
    expect(await socket.closed).toEqual({ code: 1006, reason: 'upgrade failed' })
    expect(await iterating).toBe('ended')
  })
})
