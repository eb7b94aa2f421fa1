#!/usr/bin/env node
/**
 * `npm run bench`: portsocket against each runtime's raw API and against the peers a user
 * would pick instead (Hono's own helper, crossws), on Node, Bun, Deno and workerd, in one
 * run. The primary figure is the server's CPU time per delivery (per round trip for echo),
 * read from /proc; throughput sits beside it. It measures and reports; it never fails on
 * a number. `npm run bench -- --help` lists every option (lib/options.mjs).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { buildNodeServers } from './lib/build.mjs'
import { machine, versions } from './lib/machine.mjs'
import { help, parse } from './lib/options.mjs'
import { machineBusy } from './lib/proc.mjs'
import { hasServer, root, sleep, startServer } from './lib/processes.mjs'
import { consoleReport, markdown } from './lib/report.mjs'
import { CROSS_ROWS, crossConsole, crossMarkdown, crossRunId, crossVersions, requireRedis, keptCrossSection, runCrossRow, withCrossSection } from './lib/cross.mjs'
import { runScenario } from './lib/scenario.mjs'

const options = parse(process.argv.slice(2))
if (options.help) {
  console.log(help())
  process.exit(0)
}

const config = {
  client: options.client,
  procs: options.procs,
  windows: options.windows,
  windowMs: options.windowMs,
  scenarios: options.scenarioConfig,
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0))

function describe(scenario, r) {
  if (r.error) return `${scenario}: ERROR ${r.error}`
  if (scenario === 'idle') {
    return r.steps
      .map((s) => `idle ${s.connections}: ${(s.bytesPerConn / 1024).toFixed(1)} KiB/conn, opened ${s.opened} in ${(s.openMs / 1000).toFixed(2)} s, ${s.openCpuUs.toFixed(0)} µs server CPU per open`)
      .join('\n  ')
  }
  const unit = scenario === 'echo' ? 'round trip' : 'delivery'
  const tail = scenario === 'echo' ? `, p50 ${r.p50?.toFixed(2)} ms p99 ${r.p99?.toFixed(2)} ms` : ''
  return `${scenario}: ${r.cpuUs.toFixed(3)} µs server CPU per ${unit}, ${fmt(r.rate)}/s (server ${r.serverCores.toFixed(2)} cores, others ${Math.round(r.others * 100)}%)${tail}`
}

/**
 * One row: idle in a fresh server process of its own (ended right after its memory is
 * read, so thousands of closes cost nothing), then the other scenarios in order in a
 * second process.
 */
async function runRow(runtime, impl) {
  const out = {}
  const groups = [options.scenarios.filter((s) => s === 'idle'), options.scenarios.filter((s) => s !== 'idle')].filter((g) => g.length)
  for (const group of groups) {
    let server
    try {
      server = await startServer(runtime, impl, { viaProxy: options.viaProxy, semiSpace: options.semiSpace })
      // Hono's Workers helper has no open hook: its members join with a first message.
      server.join = runtime === 'workerd' && impl === 'hono'
    } catch (error) {
      for (const scenario of group) out[scenario] = { error: error.message }
      continue
    }
    try {
      for (const scenario of group) {
        try {
          out[scenario] = await runScenario(server, scenario, config)
        } catch (error) {
          const tail = server.output().trim().split('\n').slice(-3).join(' | ')
          out[scenario] = { error: `${error.message}${tail ? ` (server: ${tail.slice(0, 300)})` : ''}` }
        }
        await sleep(200)
      }
    } finally {
      await server.stop()
    }
  }
  return out
}

/** --client auto: raw Bun chat with each client, the cheaper per delivery wins. */
async function calibrate() {
  const runs = []
  for (const client of ['bun', 'node']) {
    const server = await startServer('bun', 'raw')
    try {
      const r = await runScenario(server, 'chat', { ...config, client })
      runs.push({ client, clientCpuUs: r.clientCpuUs, rate: r.rate })
      console.log(`  ${client} client: ${r.clientCpuUs.toFixed(2)} µs client CPU per delivery, ${fmt(r.rate)}/s`)
    } catch (error) {
      runs.push({ client, error: error.message })
      console.log(`  ${client} client: ERROR ${error.message}`)
    } finally {
      await server.stop()
    }
  }
  const ok = runs.filter((r) => !r.error).sort((a, b) => a.clientCpuUs - b.clientCpuUs)
  return { chosen: ok[0]?.client ?? 'bun', runs }
}

/** --from-json: the report of a saved run, measured before (its command and options). */
function render(path) {
  const run = JSON.parse(readFileSync(path, 'utf8'))
  if (Object.keys(run.results).length) console.log(consoleReport(run))
  if (run.cross) console.log(crossConsole(run))
  const benchmarks = join(root, 'BENCHMARKS.md')
  const previous = existsSync(benchmarks) ? readFileSync(benchmarks, 'utf8') : ''
  const md = crossed(run, previous)
  mkdirSync(join(root, 'bench', '.build'), { recursive: true })
  writeFileSync(join(root, 'bench', '.build', 'last-run.md'), md)
  if (options.write) writeFileSync(benchmarks, md)
  console.log(options.write ? 'wrote BENCHMARKS.md' : 'report in bench/.build/last-run.md (--write to rewrite BENCHMARKS.md)')
}

/**
 * The report for BENCHMARKS.md: the per-runtime part from this run (or the file's own, if
 * the run had none), and the cross section from this run (or the file's own).
 */
function crossed(run, previous) {
  const base = Object.keys(run.results).length ? markdown(run, previous) : previous
  return withCrossSection(base, run.cross ? crossMarkdown(run, previous) : keptCrossSection(previous))
}

/** --scenario cross: the cross-instance rows, alternating within each round (Node only). */
async function runCross() {
  const runId = crossRunId()
  const cross = { rounds: options.rounds, runId, versions: await crossVersions(), rows: {}, busyBefore: {} }
  for (const spec of CROSS_ROWS) (cross.rows[spec.row] = []), (cross.busyBefore[spec.row] = [])
  for (let round = 1; round <= options.rounds; round++) {
    for (const spec of CROSS_ROWS) {
      const busy = await machineBusy(500)
      const t0 = Date.now()
      process.stdout.write(`\ncross: ${spec.label} (round ${round}/${options.rounds}, machine ${Math.round(busy * 100)}% busy before) `)
      const r = await runCrossRow(spec, config, runId)
      cross.rows[spec.row].push(r)
      cross.busyBefore[spec.row].push(busy)
      process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0)} s]\n  ${describe('cross', r)}${r.sideCpuUs !== undefined ? `, Redis ${r.sideCpuUs.toFixed(3)} µs per delivery` : ''}`)
      await sleep(200)
    }
  }
  return cross
}

async function main() {
  if (options.fromJson) return render(options.fromJson)
  const started = new Date()
  const argv = process.argv.slice(2)
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`
  const loadAverage = { start: os.loadavg() }
  console.log(`portsocket benchmark: ${options.runtimes.join(', ')} | ${[...options.scenarios, ...(options.cross ? ['cross (Node)'] : [])].join(', ')} | ${options.impls.join(', ')} | ${options.rounds} round(s), ${options.procs} load process(es)${options.quick ? ' | quick' : ''}`)
  console.log(`machine: ${os.cpus().length} cores, load average ${loadAverage.start.map((l) => l.toFixed(2)).join(' ')}`)
  if (options.runtimes.includes('node') || options.cross) buildNodeServers()
  if (options.cross) await requireRedis()

  let calibration
  if (config.client === 'auto') {
    console.log('\nload client: Bun WebSocket vs ws on Node (chat against raw Bun)')
    calibration = await calibrate()
    config.client = calibration.chosen
    console.log(`  -> ${config.client}`)
  }

  const results = {}
  for (const runtime of options.scenarios.length ? options.runtimes : []) {
    results[runtime] = {}
    const impls = options.impls.filter((impl) => hasServer(runtime, impl))
    for (const impl of impls) results[runtime][impl] = { busyBefore: [], ...Object.fromEntries(options.scenarios.map((s) => [s, []])) }
    for (let round = 1; round <= options.rounds; round++) {
      for (const impl of impls) {
        const busy = await machineBusy(500)
        const t0 = Date.now()
        process.stdout.write(`\n${runtime} ${impl} (round ${round}/${options.rounds}, machine ${Math.round(busy * 100)}% busy before) `)
        const out = await runRow(runtime, impl)
        results[runtime][impl].busyBefore.push(busy)
        for (const scenario of options.scenarios) results[runtime][impl][scenario].push(out[scenario])
        process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0)} s]\n  ${options.scenarios.map((s) => describe(s, out[s])).join('\n  ')}`)
      }
    }
  }
  const cross = options.cross ? await runCross() : undefined
  loadAverage.end = os.loadavg()
  console.log('\n')

  const run = {
    date: started.toISOString(),
    durationS: Math.round((Date.now() - started.getTime()) / 1000),
    command,
    loadAverage,
    options,
    config,
    calibration,
    machine: machine(),
    versions: versions(),
    results,
    ...(cross ? { cross } : {}),
  }
  if (Object.keys(results).length) console.log(consoleReport(run))
  if (cross) console.log(crossConsole(run))

  const outDir = join(root, 'bench', '.build')
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'last-run.json'), JSON.stringify(run, null, 2))
  if (options.json) writeFileSync(options.json, JSON.stringify(run, null, 2))
  const benchmarks = join(root, 'BENCHMARKS.md')
  const md = crossed(run, existsSync(benchmarks) ? readFileSync(benchmarks, 'utf8') : '')
  writeFileSync(join(outDir, 'last-run.md'), md)
  if (options.write) {
    writeFileSync(benchmarks, md)
    console.log(`wrote BENCHMARKS.md (${run.durationS} s run)`)
  } else {
    console.log(`BENCHMARKS.md left alone (not a full run); this run's report: bench/.build/last-run.md (${run.durationS} s run)`)
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  },
)
