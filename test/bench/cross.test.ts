/**
 * The cross-instance scenario's own pieces that must not go wrong quietly (the scenario
 * itself takes about 40 s even at its shortest, so it is run by hand: see BENCHMARKS.md):
 * its section of BENCHMARKS.md survives a run that rewrites the rest, and its clean-up
 * deletes its own keys on the shared Redis and nothing else.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
// @ts-ignore: a plain .mjs module without declarations
import { CROSS_END, CROSS_START, dropPrefix, keptCrossSection, withCrossSection } from '../../bench/lib/cross.mjs'

const section = (body: string) => `${CROSS_START}\n## Across instances (Redis)\n\n${body}\n${CROSS_END}`

describe('the cross section of BENCHMARKS.md', () => {
  it('is appended to a report that has none, and replaced in place in one that has', () => {
    const first = withCrossSection('# Benchmarks\n\nrest\n', section('run 1'))
    expect(first).toBe(`# Benchmarks\n\nrest\n\n${section('run 1')}\n`)
    const second = withCrossSection(`${first}\n## After\n`, section('run 2'))
    expect(second).toContain(section('run 2'))
    expect(second).not.toContain('run 1')
    expect(second.indexOf('rest')).toBeLessThan(second.indexOf('run 2'))
    expect(second.indexOf('run 2')).toBeLessThan(second.indexOf('## After'))
  })

  it('is kept verbatim when a run without it rewrites the rest of the file', () => {
    const previous = `# Benchmarks\n\nold tables\n\n${section('measured across instances')}\n`
    const rewritten = withCrossSection('# Benchmarks\n\nnew tables\n', keptCrossSection(previous))
    expect(rewritten).toContain('new tables')
    expect(rewritten).not.toContain('old tables')
    expect(rewritten).toContain(section('measured across instances'))
    expect(withCrossSection('# Benchmarks\n', keptCrossSection('# Benchmarks\n'))).toBe('# Benchmarks\n')
  })
})

describe('the clean-up on the shared Redis', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  const prefix = `portsocket-bench-cross-test-${randomBytes(4).toString('hex')}`
  afterAll(async () => {
    await redis.del(`${prefix}x:other`, `${prefix}:a`, `${prefix}:room:b`)
    redis.disconnect()
  })

  it("deletes the row's keys (SCAN + DEL) and leaves a key that merely starts the same", async () => {
    await redis.set(`${prefix}:a`, '1')
    await redis.hset(`${prefix}:room:b`, 'id', 'instance')
    await redis.set(`${prefix}x:other`, '1')
    expect(await dropPrefix(prefix)).toBe(2)
    expect(await redis.exists(`${prefix}:a`, `${prefix}:room:b`)).toBe(0)
    expect(await redis.get(`${prefix}x:other`)).toBe('1')
  })
})
