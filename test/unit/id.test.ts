import { describe, expect, it } from 'vitest'
import { newId } from '../../src/connection/id.ts'

describe('connection ids', () => {
  it('are version 4 UUIDs in lower case, as crypto.randomUUID() makes them', () => {
    for (let i = 0; i < 1000; i++) expect(newId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('are all different, across refills of the random pool', () => {
    const ids = new Set(Array.from({ length: 3000 }, () => newId()))
    expect(ids.size).toBe(3000)
  })

  it('use every hex digit in every free position', () => {
    // A digit stuck at one value (a wrong shift or mask) shows as a position with one value.
    const seen = Array.from({ length: 36 }, () => new Set<string>())
    for (let i = 0; i < 2000; i++) [...newId()].forEach((ch, at) => seen[at]!.add(ch))
    const fixed = [8, 13, 14, 18, 23]
    seen.forEach((values, at) => {
      if (fixed.includes(at)) expect(values.size, `position ${at}`).toBe(1)
      else if (at === 19) expect([...values].sort(), 'variant').toEqual(['8', '9', 'a', 'b'])
      else expect(values.size, `position ${at}`).toBe(16)
    })
  })
})
