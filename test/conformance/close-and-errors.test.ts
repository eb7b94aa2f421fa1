import { describe, expect, it } from 'vitest'
import { connect } from '../support/client.ts'
import { baseUrl, wsUrl } from '../support/env.ts'
import { newTag, waitForLog } from '../support/fixture-log.ts'

describe('close', () => {
  it("the client's close code and reason reach the close hook", async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/echo?tag=${tag}`))
    client.close(4321, 'client leaving')
    await client.waitClosed()
    const closed = await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    expect(closed).toMatchObject({ code: 4321, reason: 'client leaving' })
  })

  it("the server's close code and reason reach the client", async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/control?tag=${tag}`))
    client.send('close:4002:server says bye')
    expect(await client.waitClosed()).toEqual({ code: 4002, reason: 'server says bye' })
    const closed = await waitForLog(baseUrl, tag, (e) => e.event === 'close')
    expect(closed.code).toBe(4002)
  })
})

describe('throwing handlers', () => {
  for (const [command, message] of [
    ['throw', 'handler failed on purpose'],
    ['reject', 'handler rejected on purpose'],
  ] as const) {
    it(`a handler that ${command === 'throw' ? 'throws' : 'rejects'} closes only its own connection with 1011 and reaches the error hook`, async () => {
      const tag = newTag()
      const bystander = await connect(wsUrl('/ws/echo'))
      const client = await connect(wsUrl(`/ws/control?tag=${tag}`))
      client.send('ping')
      expect(await client.nextText()).toBe('ok:ping')
      client.send(command)
      expect((await client.waitClosed()).code).toBe(1011)
      const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
      expect(error.message).toBe(message)
      bystander.send('still here')
      expect(await bystander.nextText()).toBe('still here')
      const again = await connect(wsUrl('/ws/control'))
      again.send('ping')
      expect(await again.nextText()).toBe('ok:ping')
      again.close()
      bystander.close()
    })
  }

  it('an open hook that throws closes that connection with 1011', async () => {
    const tag = newTag()
    const client = await connect(wsUrl(`/ws/throw-on-open?tag=${tag}`))
    expect((await client.waitClosed()).code).toBe(1011)
    const error = await waitForLog(baseUrl, tag, (e) => e.event === 'error')
    expect(error.message).toBe('open failed on purpose')
  })
})
