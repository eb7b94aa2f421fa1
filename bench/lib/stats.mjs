/**
 * Figures over rounds: each row's per-round values, their min / median / max, and ratios
 * against a baseline row paired round by round (round i of a row with round i of its
 * baseline: rows alternate, so the two ran close together, under similar load).
 */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** { min, median, max, n } of the finite values, or null when there are none. */
export function spread(values) {
  const ok = values.filter((v) => Number.isFinite(v))
  if (!ok.length) return null
  return { min: Math.min(...ok), median: median(ok), max: Math.max(...ok), n: ok.length }
}

/** Per-round values of one figure (`pick` reads it from a round's result; NaN for a failed round). */
export function series(run, runtime, impl, scenario, pick) {
  const rounds = run.results[runtime]?.[impl]?.[scenario] ?? []
  return rounds.map((r) => {
    if (!r || r.error) return NaN
    const v = pick(r)
    return Number.isFinite(v) ? v : NaN
  })
}

/** Round-by-round ratios of `impl` over `base` for one figure. */
export function pairedRatios(run, runtime, impl, base, scenario, pick) {
  return ratiosOf(series(run, runtime, impl, scenario, pick), series(run, runtime, base, scenario, pick))
}

/** Round i of `values` over round i of `baseline`, leaving out rounds either side failed. */
export function ratiosOf(values, baseline) {
  return values.map((x, i) => x / baseline[i]).filter((r) => Number.isFinite(r))
}

/** The first error of a row's scenario, if every round failed. */
export function failure(run, runtime, impl, scenario) {
  const rounds = run.results[runtime]?.[impl]?.[scenario] ?? []
  if (!rounds.length || rounds.some((r) => r && !r.error)) return null
  return rounds.find((r) => r?.error)?.error ?? 'no result'
}
