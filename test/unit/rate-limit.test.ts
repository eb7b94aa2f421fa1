import { expect, it } from 'vitest'
import { TokenBucket } from '../../src/connection/rate-limit.ts'

it('allows a burst, then refills at the given rate', () => {
  const bucket = new TokenBucket({ burst: 3, perSecond: 2 })
  const t0 = Date.now()
  expect([bucket.take(t0), bucket.take(t0), bucket.take(t0), bucket.take(t0)]).toEqual([true, true, true, false])
  expect(bucket.take(t0 + 400)).toBe(false) // 0.8 of a token
  expect(bucket.take(t0 + 500)).toBe(true) // one whole token after 500 ms
  expect(bucket.take(t0 + 10_000)).toBe(true)
  expect(bucket.take(t0 + 10_000)).toBe(true)
  expect(bucket.take(t0 + 10_000)).toBe(true) // never more than the burst
  expect(bucket.take(t0 + 10_000)).toBe(false)
})
