/**
 * The targets table's verdicts (bench/lib/targets.mjs) on a made-up run: met only when
 * every round's paired ratio clears the limit, and the best-peer baseline taken round
 * by round.
 */
import { describe, expect, it } from 'vitest'
// @ts-ignore: a plain .mjs module without declarations
import { evaluate } from '../../bench/lib/targets.mjs'

/** An idle-only run on Node: each row's bytes per connection, one value per round. */
function idleRun(perRound: Record<string, number[]>) {
  const round = (bytes: number) => ({ steps: [{ bytesPerConn: bytes, openCpuUs: 100, openMs: 1000, connections: 5000 }] })
  return {
    options: { runtimes: ['node'], scenarios: ['idle'], impls: Object.keys(perRound) },
    config: { scenarios: { idle: { steps: [5000] } } },
    results: { node: Object.fromEntries(Object.entries(perRound).map(([impl, values]) => [impl, { idle: values.map(round) }])) },
  }
}

const memory = (run: ReturnType<typeof idleRun>, what: RegExp) => evaluate(run).find((t: any) => what.test(t.what)) as any

describe('bench targets', () => {
  it('count as met only when every round clears the limit, not the median', () => {
    const met = memory(idleRun({ raw: [1000, 1000, 1000], portsocket: [1100, 1150, 1190] }), /<= 1.2x raw/)
    expect(met.met).toBe(true)
    expect(met.ratios.max).toBeCloseTo(1.19)
    const missed = memory(idleRun({ raw: [1000, 1000, 1000], portsocket: [1100, 1150, 1210] }), /<= 1.2x raw/)
    expect(missed.ratios.median).toBeCloseTo(1.15)
    expect(missed.met).toBe(false)
  })

  it('pair each round with the best peer of that round', () => {
    // Round 1: the helper is best (2000), round 2: crossws (1500), round 3: the helper (1800).
    const t = memory(idleRun({ raw: [1000, 1000, 1000], portsocket: [1900, 1500, 1700], hono: [2000, 2100, 1800], crossws: [2500, 1500, 1900] }), /best peer/)
    expect(t.ratios.min).toBeCloseTo(0.944, 3)
    expect(t.ratios.max).toBeCloseTo(1)
    expect(t.baseline.median).toBe(1800)
    expect(t.met).toBe(true)
    const worse = memory(idleRun({ raw: [1000, 1000, 1000], portsocket: [1900, 1510, 1700], hono: [2000, 2100, 1800], crossws: [2500, 1500, 1900] }), /best peer/)
    expect(worse.met).toBe(false)
  })

  it('use the peers that ran, and leave out a target whose baseline did not', () => {
    const onePeer = memory(idleRun({ raw: [1000], portsocket: [1500], crossws: [1400] }), /best peer/)
    expect(onePeer.ratios.median).toBeCloseTo(1.5 / 1.4)
    expect(onePeer.met).toBe(false)
    expect(memory(idleRun({ raw: [1000], portsocket: [1500] }), /best peer/)).toBeUndefined()
    expect(memory(idleRun({ portsocket: [1500], hono: [2000] }), /<= 1.2x raw/)).toBeUndefined()
  })
})
