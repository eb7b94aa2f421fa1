/**
 * The targets of issue 12, each a ratio in one run against a baseline row of the same
 * runtime. A target is met only when every round's paired ratio clears it (the whole
 * spread, not the median).
 */
import { ratiosOf, series, spread } from './stats.mjs'

const step = (k, key) => (r) => r.steps?.[k]?.[key]

/** The peers a target may name as its baseline: each round, the best of them. */
const PEERS = ['hono', 'crossws']

/** Per-round values of the baseline: one row's, or for a list of rows the lowest of theirs in each round. */
function baseSeries(run, runtime, base, scenario, pick) {
  if (typeof base === 'string') return series(run, runtime, base, scenario, pick)
  const each = base.map((impl) => series(run, runtime, impl, scenario, pick))
  const rounds = Math.max(0, ...each.map((s) => s.length))
  return Array.from({ length: rounds }, (_, i) => {
    const values = each.map((s) => s[i]).filter((v) => Number.isFinite(v))
    return values.length ? Math.min(...values) : NaN
  })
}

/** { id, runtime, what, scenario, impl, base, pick, op: '<=' | '>=', limit } */
export function targetList(run) {
  const first = run.config.scenarios.idle.steps[0]
  const opens = `${first.toLocaleString('en-US')}`
  const out = []
  const add = (t) => out.push({ impl: 'portsocket', base: 'raw', ...t })
  for (const runtime of ['node', 'bun']) {
    add({ runtime, scenario: 'idle', what: `memory per idle connection (${opens} held) <= 1.2x raw`, pick: step(0, 'bytesPerConn'), unit: 'KiB', op: '<=', limit: 1.2 })
  }
  // On every runtime; the baseline of each round is the peer that held its connections in the least memory in that round.
  for (const runtime of ['node', 'bun', 'deno', 'workerd']) {
    add({ runtime, scenario: 'idle', base: PEERS, what: `memory per idle connection (${opens} held) no worse than the best peer (Hono helper, crossws)`, pick: step(0, 'bytesPerConn'), unit: 'KiB', op: '<=', limit: 1.0 })
  }
  for (const runtime of ['node', 'bun', 'deno']) {
    add({ runtime, scenario: 'idle', what: `${opens} opens, server CPU <= 1.2x raw`, pick: step(0, 'openCpuUs'), unit: 'µs per open', op: '<=', limit: 1.2 })
    add({ runtime, scenario: 'idle', what: `${opens} opens, wall time <= 1.2x raw`, pick: step(0, 'openMs'), unit: 's', op: '<=', limit: 1.2 })
  }
  add({ runtime: 'bun', scenario: 'chat', what: 'chat: server CPU per delivery <= 1.05x raw native publish', pick: (r) => r.cpuUs, op: '<=', limit: 1.05, unit: 'µs' })
  add({ runtime: 'node', scenario: 'chat', what: 'chat: server CPU per delivery <= 0.75x the naive raw `ws` loop', pick: (r) => r.cpuUs, op: '<=', limit: 0.75, unit: 'µs' })
  add({ runtime: 'node', base: 'raw-prepared', scenario: 'chat', what: 'chat: server CPU per delivery <= 1.05x raw `ws` with the frame prepared once', pick: (r) => r.cpuUs, op: '<=', limit: 1.05, unit: 'µs' })
  add({ runtime: 'deno', scenario: 'chat', what: 'chat: server CPU per delivery <= 1.0x the raw loop', pick: (r) => r.cpuUs, op: '<=', limit: 1.0, unit: 'µs' })
  add({ runtime: 'bun', scenario: 'echo', what: 'echo: round trips per second >= 0.95x raw', pick: (r) => r.rate, op: '>=', limit: 0.95, unit: 'round trips/s' })
  return out
}

/** Each target with its paired ratios and whether it is met (null: not measured in this run). */
export function evaluate(run) {
  const o = run.options
  const has = (base) => (typeof base === 'string' ? o.impls.includes(base) : base.some((impl) => o.impls.includes(impl)))
  const inRun = (t) => o.runtimes.includes(t.runtime) && o.scenarios.includes(t.scenario) && o.impls.includes(t.impl) && has(t.base)
  const out = targetList(run)
    .filter(inRun)
    .map((t) => {
      const own = series(run, t.runtime, t.impl, t.scenario, t.pick)
      const base = baseSeries(run, t.runtime, t.base, t.scenario, t.pick)
      const s = spread(ratiosOf(own, base))
      const met = s ? (t.op === '<=' ? s.max <= t.limit : s.min >= t.limit) : null
      return {
        ...t,
        ratios: s,
        impl: spread(own),
        baseline: spread(base),
        met,
      }
    })
  // 10,000 idle connections held, with memory and open time reported.
  const last = run.config.scenarios.idle.steps.at(-1)
  if (last >= 10_000 && o.scenarios.includes('idle') && o.impls.includes('portsocket')) {
    for (const runtime of ['node', 'bun', 'deno'].filter((r) => o.runtimes.includes(r))) {
      const k = run.config.scenarios.idle.steps.length - 1
      const held = series(run, runtime, 'portsocket', 'idle', step(k, 'connections'))
      out.push({
        runtime,
        what: `${last.toLocaleString('en-US')} idle connections held`,
        held: spread(held),
        memory: spread(series(run, runtime, 'portsocket', 'idle', step(k, 'bytesPerConn'))),
        openMs: spread(series(run, runtime, 'portsocket', 'idle', (r) => r.steps?.reduce((s, x) => s + x.openMs, 0))),
        met: held.length ? held.every((h) => h >= last) : null,
      })
    }
  }
  return out
}
