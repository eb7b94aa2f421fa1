/**
 * Every command-line option of `npm run bench`, in one table: the parser and `--help`
 * both read it, so no option can go undocumented.
 */
import os from 'node:os'
import { SCENARIOS } from './protocol.mjs'

export const RUNTIMES = ['node', 'bun', 'deno', 'workerd']
export const IMPLS = ['raw', 'raw-prepared', 'raw-corked', 'raw-hono', 'portsocket', 'hono', 'crossws']
const DEFAULT_SCENARIOS = ['idle', 'chat', 'echo']

/** One load process per core left over after the server's; one on a 2-core machine. */
const defaultProcs = () => Math.max(1, Math.min(4, os.cpus().length - 1))

export const OPTIONS = [
  ['quick', 'flag', 'a short look: 1 round, 3 windows of 1 s, 1,000 idle connections (not for quoting)'],
  ['runtime', 'LIST', `runtimes, comma-separated: ${RUNTIMES.join(',')} (default: all)`],
  ['impl', 'LIST', `servers: ${IMPLS.join(',')} (default: all; raw-prepared and raw-corked exist on Node only, raw-hono on Node, Bun and Deno)`],
  ['scenario', 'LIST', `scenarios: ${SCENARIOS.join(',')} (default: ${DEFAULT_SCENARIOS.join(',')}; room: 1 sender to --members; cross: the chat over 3 instances on one Redis vs 1 instance vs socket.io + Redis adapter, its own fixed rows on Node (one row Node + Bun + Deno) whatever --runtime and --impl say; needs Redis at REDIS_URL or 127.0.0.1:6379)`],
  ['rounds', 'N', 'rounds per row; rows of a runtime alternate A B C A B C (default 3; quick 1)'],
  ['windows', 'N', 'measured windows per chat/echo/room run, after one warm-up window (default 5; quick 3)'],
  ['window-ms', 'MS', 'window length in ms (default 1000)'],
  ['clients', 'N', 'chat members, each sending and receiving (default 16)'],
  ['per-batch', 'N', 'messages each sender sends per fan-out batch (default 100 for chat, 20 for room)'],
  ['echo-clients', 'N', 'echo connections, one round trip in flight each (default 16)'],
  ['members', 'N', 'room members (default 1000; quick 200)'],
  ['idle', 'LIST', 'idle steps: connections held after each step (default 5000,10000; quick 1000; workerd runs the first step only)'],
  ['load-procs', 'N', `load client processes (default: cores - 1, at least 1, at most 4; here ${defaultProcs()})`],
  ['semi-space', 'MIB', "Node and Deno servers (Bun runs JavaScriptCore): V8's --max-semi-space-size (default: V8's, 16 on 64-bit); 1 leaves RSS growth per idle connection to what the heap keeps, not to how far the young generation grew during the burst of opens"],
  ['client', 'bun|node|auto', "load client: Bun's WebSocket (default), ws on Node, or auto (measure both on raw chat, take the cheaper)"],
  ['via-proxy', 'flag', "workerd: load through wrangler's dev proxy instead of straight to the workerd that runs the Worker"],
  ['json', 'PATH', "also write this run's raw results as JSON to PATH"],
  ['from-json', 'PATH', 'measure nothing: render the report of a saved run (bench/.build/last-run.json or a --json file); with --write, into BENCHMARKS.md'],
  ['write', 'flag', 'rewrite BENCHMARKS.md from this run even if it is not a full run'],
  ['no-write', 'flag', 'leave BENCHMARKS.md alone even after a full run'],
  ['help', 'flag', 'print this and exit'],
]

export function help() {
  const width = Math.max(...OPTIONS.map(([n, v]) => `--${n}${v === 'flag' ? '' : ` ${v}`}`.length))
  return [
    'npm run bench [-- options]   (node bench/run.mjs [options])',
    '',
    'Measures portsocket against each runtime\'s raw API and the peers (Hono helper, crossws)',
    'on Node, Bun, Deno and workerd. Primary figure: server CPU time per delivery (per round',
    'trip for echo); throughput beside it; min / median / max over rounds. A full run',
    '(no --quick, no filter) rewrites BENCHMARKS.md; every run leaves bench/.build/last-run.{md,json}.',
    '',
    ...OPTIONS.map(([n, v, h]) => `  ${`--${n}${v === 'flag' ? '' : ` ${v}`}`.padEnd(width)}  ${h}`),
    '',
    'Examples:',
    '  npm run bench                                   full run (about 30 minutes on 2 cores; --runtime node,bun,deno about 15)',
    '  npm run bench -- --quick',
    '  npm run bench -- --runtime node --impl raw,raw-prepared,portsocket --scenario chat',
    '  npm run bench -- --scenario cross --rounds 5 --window-ms 2000 --windows 3   across instances on Redis (about 6 minutes; --write updates its section of BENCHMARKS.md)',
  ].join('\n')
}

/** Parses argv into the run's settings; throws on anything unknown or malformed. */
export function parse(argv) {
  const known = new Map(OPTIONS.map(([n, v]) => [n, v]))
  const values = new Map()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--') || !known.has(a.slice(2))) throw new Error(`unknown option ${a} (npm run bench -- --help)`)
    const name = a.slice(2)
    if (known.get(name) === 'flag') values.set(name, true)
    else {
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`)
      values.set(name, v)
    }
  }
  const list = (name, all) => {
    if (!values.has(name)) return null
    const picked = values.get(name).split(',').map((s) => s.trim()).filter(Boolean)
    for (const p of picked) if (!all.includes(p)) throw new Error(`--${name}: unknown "${p}" (expected ${all.join(', ')})`)
    return all.filter((x) => picked.includes(x))
  }
  const int = (name, fallback) => {
    if (!values.has(name)) return fallback
    const n = Number(values.get(name))
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`)
    return n
  }
  const quick = values.has('quick')
  const client = values.get('client') ?? 'bun'
  if (!['bun', 'node', 'auto'].includes(client)) throw new Error('--client must be bun, node or auto')
  const steps = values.has('idle')
    ? values.get('idle').split(',').map(Number)
    : quick ? [1000] : [5000, 10_000]
  if (!steps.every((n, i) => Number.isInteger(n) && n > 0 && n <= 20_000 && (i === 0 || n > steps[i - 1]))) {
    throw new Error('--idle: increasing connection counts, at most 20000')
  }
  const filtered = ['runtime', 'impl', 'scenario', 'semi-space'].some((n) => values.has(n))
  return {
    help: values.has('help'),
    quick,
    fullRun: !quick && !filtered,
    write: values.has('write') || (!quick && !filtered && !values.has('no-write') && !values.has('from-json')),
    json: values.get('json'),
    fromJson: values.get('from-json'),
    runtimes: list('runtime', RUNTIMES) ?? RUNTIMES,
    impls: list('impl', IMPLS) ?? IMPLS,
    // cross runs apart from the per-runtime rows (lib/cross.mjs), on Node whatever --runtime says.
    scenarios: (list('scenario', SCENARIOS) ?? DEFAULT_SCENARIOS).filter((s) => s !== 'cross'),
    cross: list('scenario', SCENARIOS)?.includes('cross') ?? false,
    rounds: int('rounds', quick ? 1 : 3),
    windows: int('windows', quick ? 3 : 5),
    windowMs: int('window-ms', 1000),
    procs: int('load-procs', defaultProcs()),
    client,
    viaProxy: values.has('via-proxy'),
    semiSpace: values.has('semi-space') ? int('semi-space', 0) : undefined,
    scenarioConfig: {
      chat: { clients: int('clients', 16), perBatch: int('per-batch', 100) },
      room: { members: int('members', quick ? 200 : 1000), perBatch: int('per-batch', 20) },
      echo: { clients: int('echo-clients', 16), payloadBytes: 32 },
      idle: { steps, parallel: 64 },
    },
  }
}
