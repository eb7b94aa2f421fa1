import { describe, expect, it } from 'vitest'
import { routeById, routeCount } from '../../src/http/routes.ts'
import { websocket } from '../../src/http/websocket.ts'

describe('route registry', () => {
  it('keys routes by their id and does not grow when the same id is registered again', () => {
    const before = routeCount()
    for (let i = 0; i < 1000; i++) websocket({ message() {} }, { id: 'unit-same-route' })
    expect(routeCount()).toBe(before + 1)
    const hooks = { open() {} }
    websocket(hooks, { id: 'unit-same-route' })
    expect(routeById('unit-same-route')?.hooks).toBe(hooks) // the latest definition wins
  })

  it('registers nothing for routes without an id or with hooks made per request', () => {
    const before = routeCount()
    for (let i = 0; i < 100; i++) websocket({ message() {} })
    websocket(() => ({ message() {} }), { id: 'unit-factory-route' })
    expect(routeCount()).toBe(before)
    expect(routeById('unit-factory-route')).toBeUndefined()
  })

  it('refuses an empty id at definition time', () => {
    expect(() => websocket({}, { id: '' })).toThrow(TypeError)
  })
})
