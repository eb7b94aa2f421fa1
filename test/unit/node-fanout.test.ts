/**
 * Node's frame-once path for several payloads (`prepareMany`, what a relayed RedisHub batch
 * uses), on a real server and `ws` client: the frames, and the fallback while ws is busy.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { WebSocket } from 'ws'
import { serve } from '../../adapters/node.ts'
import { MemoryHub, websocket, type Server } from '../../src/index.ts'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup(perMessageDeflate: boolean) {
  const hub = new MemoryHub()
  const app = new Hono().get('/ws', websocket({ open: (socket) => socket.join('r') }))
  const server: Server = await serve(app, { port: 0, hostname: '127.0.0.1', hub, perMessageDeflate })
  cleanups.push(() => server.close())
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { perMessageDeflate })
  const got: (string | number[])[] = []
  ws.on('message', (data: Buffer, binary: boolean) => got.push(binary ? [...data] : data.toString()))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  cleanups.push(async () => ws.close())
  await waitFor(() => hub.sendNow({ room: 'r' }, 'ready').delivered === 1)
  return { hub, server, got }
}

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const part = (payload: string | Uint8Array) => ({ payload, except: [] })

describe('Node: several payloads framed once', () => {
  it('frames every length form, text and binary, as messages of their own, in order', async () => {
    const { hub, server, got } = await setup(false)
    const payloads = ['a', '', 'é'.repeat(100), 'x'.repeat(70_000), new Uint8Array([0, 255]), '🎉']
    expect(hub.sendRun({ room: 'r' }, payloads.map(part))).toBe(payloads.length)
    const expected = ['ready', ...payloads.map((p) => (typeof p === 'string' ? p : [...p]))]
    await waitFor(() => got.length >= expected.length)
    expect(got).toEqual(expected)
    expect([...server.sockets][0]!.messagesOut).toBe(expected.length)
  })

  it('sends them one by one, after what ws is still compressing, when ws has work queued', async () => {
    const { hub, server, got } = await setup(true)
    const socket = [...server.sockets][0]!
    expect(socket.extensions).toContain('permessage-deflate')
    // ws compresses this off the main thread: its sender is busy when the batch comes.
    const big = 'compressible '.repeat(20_000)
    socket.send(big)
    expect(hub.sendRun({ room: 'r' }, [part('one'), part('two'), part(new Uint8Array([3]))])).toBe(3)
    await waitFor(() => got.length >= 5)
    expect(got).toEqual(['ready', big, 'one', 'two', [3]])
    expect(socket.messagesOut).toBe(5)
  })
})
