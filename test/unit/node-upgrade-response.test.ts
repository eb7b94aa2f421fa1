/**
 * Whether an upgrade's accepting response carries headers, told without building them
 * (adapters/node/response.ts), against @hono/node-server's lightweight Response.
 */
import { getRequestListener } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import { carriesNoHeaders, recognizesLightweightResponses } from '../../adapters/node/response.ts'

/** The response a route's handler made with `c.body(null, 200)`, as the app finally answers. */
async function placeholder(app: Hono): Promise<Response> {
  return app.fetch(new Request('http://localhost/ws'))
}

describe("an upgrade's response on Node", () => {
  beforeAll(() => {
    // Installs @hono/node-server's global Request and Response, as serving with it does.
    getRequestListener(() => new Response(null))
  })

  // If this fails after updating @hono/node-server, its lightweight Response changed shape:
  // upgrades still work, reading every response's headers (slower; see response.ts).
  it("recognizes @hono/node-server's lightweight Response with the locked version", () => {
    expect(recognizesLightweightResponses()).toBe(true)
  })

  it('has no headers when none were given, read or set', async () => {
    expect(carriesNoHeaders(new Response(null, { status: 200 }))).toBe(true)
    const app = new Hono()
    app.get('/ws', (c) => c.body(null, 200))
    expect(carriesNoHeaders(await placeholder(app))).toBe(true)
  })

  it('has headers once they were read, or when middleware set some before or after next()', async () => {
    const read = new Response(null, { status: 200 })
    void read.headers
    expect(carriesNoHeaders(read)).toBe(false)
    expect(carriesNoHeaders(new Response(null, { status: 200, headers: { 'x-a': '1' } }))).toBe(false)

    const before = new Hono()
    before.use(async (c, next) => {
      c.header('x-user', 'alice')
      await next()
    })
    before.get('/ws', (c) => c.body(null, 200))
    const early = await placeholder(before)
    expect(carriesNoHeaders(early)).toBe(false)
    expect(early.headers.get('x-user')).toBe('alice')

    const after = new Hono()
    after.use(async (c: Context, next) => {
      await next()
      c.header('x-after', 'yes')
    })
    after.get('/ws', (c) => c.body(null, 200))
    const late = await placeholder(after)
    expect(carriesNoHeaders(late)).toBe(false)
    expect(late.headers.get('x-after')).toBe('yes')
  })

  it('is never sure of a response that is not the lightweight kind', () => {
    const other = { status: 200, headers: new Headers() } as unknown as Response
    expect(carriesNoHeaders(other)).toBe(false)
  })
})
