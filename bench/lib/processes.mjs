/**
 * Starting, watching and stopping the benchmark's processes (servers and load clients).
 *
 * Every process is started detached, so it leads a process group of its own and stop()
 * reaches its children too (wrangler's workerd). Every process preloads bench/lifeline.mjs,
 * which ends it (and its group) when this orchestrator goes away, and the orchestrator
 * kills every group it started when it exits, however it exits.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '')
export const bin = (name) => join(root, 'node_modules', '.bin', name)
const lifeline = join(root, 'bench', 'lifeline.mjs')

/** Process groups still running. */
const live = new Set()

function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal)
  } catch {}
}

let hooked = false
function hookExit() {
  if (hooked) return
  hooked = true
  const killAll = () => {
    for (const pid of live) killGroup(pid)
    live.clear()
  }
  process.on('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      killAll()
      process.exit(130)
    })
  }
}

export async function freePort() {
  const server = createServer()
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Spawns a process in its own group with the lifeline preloaded. `kind` says how the
 * lifeline gets in: a flag for node, bun and deno; NODE_OPTIONS for wrangler (a Node CLI
 * whose children, workerd among them, share its group).
 */
export function launch(command, args, { kind, env = {}, stdinWatch = true } = {}) {
  hookExit()
  const preload = {
    node: ['--expose-gc', '--import', pathToFileURL(lifeline).href],
    bun: ['--preload', lifeline],
    deno: ['--v8-flags=--expose-gc', '--preload', lifeline],
    wrangler: [],
  }[kind]
  const argv = kind === 'deno' ? [args[0], ...preload, ...args.slice(1)] : [...preload, ...args]
  const extraEnv = kind === 'wrangler' ? { NODE_OPTIONS: `--import=${pathToFileURL(lifeline).href}` } : {}
  const child = spawn(command, argv, {
    cwd: root,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      DENO_NO_UPDATE_CHECK: '1',
      DENO_NO_PROMPT: '1',
      BENCH_LIFELINE_STDIN: stdinWatch && kind !== 'wrangler' ? '1' : '',
      ...extraEnv,
      ...env,
    },
  })
  live.add(child.pid)
  let output = ''
  const keep = (chunk) => {
    output = (output + chunk).slice(-16_000)
  }
  child.stderr.on('data', keep)
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  exited.then(() => live.delete(child.pid))
  return {
    child,
    pid: child.pid,
    exited,
    output: () => output,
    keep,
    async stop() {
      killGroup(child.pid, 'SIGKILL')
      await Promise.race([exited, sleep(5000)])
      // Wait until every process of the group is gone (wrangler's workerd included).
      for (let i = 0; i < 50 && groupAlive(child.pid); i++) await sleep(100)
      live.delete(child.pid)
    },
  }
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

function cpuTimes() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const idle = line[3] + (line[4] ?? 0)
  const total = line.reduce((a, b) => a + b, 0)
  return { idle, total }
}

/** Share of the whole machine's CPU that was busy over `ms` (0..1). */
export async function machineBusy(ms = 500) {
  const a = cpuTimes()
  await sleep(ms)
  const b = cpuTimes()
  const total = b.total - a.total
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0
}

/**
 * Waits (at most `maxMs`) until the machine is quiet: between rows none of our processes
 * runs, so what is busy belongs to someone else (a test suite, a build). Returns how
 * busy it still was and how long we waited.
 */
export async function waitForQuiet(maxMs = 20_000, threshold = 0.15) {
  const from = Date.now()
  let busy = await machineBusy()
  while (busy > threshold && Date.now() - from < maxMs) busy = await machineBusy(1000)
  return { busy, waitedMs: Date.now() - from }
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (!match) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1]) * 1024
}

/** Asks a server (not workerd) for a full garbage collection and gives it time to finish. */
export async function collectGarbage(pid) {
  try {
    process.kill(pid, 'SIGUSR2')
  } catch {}
  await sleep(500)
}

/** Reads RSS a few times, 100 ms apart, and takes the median. */
export async function steadyRss(pid, reads = 3) {
  const values = []
  for (let i = 0; i < reads; i++) {
    if (i) await sleep(100)
    values.push(rss(pid))
  }
  values.sort((a, b) => a - b)
  return values[values.length >> 1]
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return []
  }
}

/** Every descendant pid of `pid`. */
function descendants(pid) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (!children.has(ppid)) children.set(ppid, [])
      children.get(ppid).push(Number(entry))
    } catch {}
  }
  const out = []
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(pid)
  return out
}

/**
 * wrangler dev runs two workerd processes: a proxy that listens on the --port we gave,
 * and the one that runs the Worker and its Durable Object. Memory is read from the
 * latter (the former is the same for every row).
 */
export function findWorkerd(wranglerPid, port) {
  const workerds = descendants(wranglerPid)
    .map((pid) => ({ pid, args: cmdline(pid) }))
    .filter(({ args }) => args[0]?.endsWith('/workerd') && args[1] === 'serve')
  const user = workerds.find(({ args }) => !args.some((a) => a === `--socket-addr=entry=127.0.0.1:${port}`))
  const proxy = workerds.find(({ args }) => args.some((a) => a === `--socket-addr=entry=127.0.0.1:${port}`))
  return { user: user?.pid, proxy: proxy?.pid }
}

/** TCP ports a process listens on (from /proc/net/tcp and its socket fds). */
export function listeningPorts(pid) {
  const inodes = new Set()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`)
      const match = /^socket:\[(\d+)\]$/.exec(link)
      if (match) inodes.add(match[1])
    } catch {}
  }
  const ports = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9])) continue
      ports.push(parseInt(cols[1].split(':')[1], 16))
    }
  }
  return ports
}

async function healthy(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
    await response.text()
    return response.ok
  } catch {
    return false
  }
}

/** Where each runtime's servers live and how they start. */
function serverCommand(runtime, impl, port, scratch) {
  switch (runtime) {
    case 'node':
      return { command: process.execPath, args: [join(root, 'bench/.build/bench/servers/node', `${impl}.js`)], kind: 'node' }
    case 'bun':
      return { command: bin('bun'), args: [join(root, 'bench/servers/bun', `${impl}.ts`)], kind: 'bun' }
    case 'deno':
      return { command: bin('deno'), args: ['run', '-A', join(root, 'bench/servers/deno', `${impl}.ts`)], kind: 'deno' }
    case 'workerd':
      return {
        command: bin('wrangler'),
        args: [
          'dev',
          '--config', join(root, 'bench/servers/workerd', `${impl}.toml`),
          '--ip', '127.0.0.1',
          '--port', String(port),
          '--inspector-port', String(scratch.inspectorPort),
          '--persist-to', join(scratch.dir, 'state'),
          '--show-interactive-dev-session=false',
          '--log-level', 'warn',
        ],
        kind: 'wrangler',
        env: {
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          WRANGLER_CI_DISABLE_CONFIG_WATCHING: 'true',
          WRANGLER_LOG_PATH: join(scratch.dir, 'logs'),
          CI: 'true',
        },
      }
  }
  throw new Error(`unknown runtime ${runtime}`)
}

/**
 * Starts one benchmark server and waits for GET /health. On workerd the load goes, unless
 * `viaProxy`, straight to the entry socket of the workerd process that runs the Worker:
 * the dev proxy wrangler puts in front of it holds about 6 file descriptors per
 * WebSocket (it fails at about 3,300 connections under a 20,000 descriptor limit) and
 * takes a share of the CPU that is the same for every row.
 */
export async function startServer(runtime, impl, { viaProxy = false } = {}) {
  const port = await freePort()
  const scratch = { dir: mkdtempSync(join(tmpdir(), 'portsocket-bench-')), inspectorPort: await freePort() }
  const { command, args, kind, env } = serverCommand(runtime, impl, port, scratch)
  const proc = launch(command, args, { kind, env: { ...env, PORT: String(port) } })
  proc.child.stdout.on('data', proc.keep)
  const deadline = Date.now() + (runtime === 'workerd' ? 90_000 : 30_000)
  let up = false
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) break
    if (await healthy(port)) {
      up = true
      break
    }
    await sleep(100)
  }
  const stop = async () => {
    await proc.stop()
    rmSync(scratch.dir, { recursive: true, force: true })
  }
  if (!up) {
    const output = proc.output()
    await stop()
    throw new Error(`${runtime}/${impl} did not start: ${output.trim().split('\n').slice(-8).join('\n')}`)
  }
  let memoryPid = proc.pid
  let proxyPid
  if (runtime === 'workerd') {
    const found = findWorkerd(proc.pid, port)
    if (!found.user) {
      await stop()
      throw new Error('workerd/' + impl + ': could not find the workerd process that runs the Worker')
    }
    memoryPid = found.user
    proxyPid = found.proxy
    if (!viaProxy) {
      let direct
      for (const candidate of listeningPorts(found.user)) {
        if (candidate !== scratch.inspectorPort && (await healthy(candidate))) {
          direct = candidate
          break
        }
      }
      if (!direct) {
        await stop()
        throw new Error(`workerd/${impl}: could not find the entry socket of the workerd process that runs the Worker`)
      }
      return { runtime, impl, port: direct, url: `ws://127.0.0.1:${direct}`, pid: proc.pid, memoryPid, proxyPid, output: proc.output, stop }
    }
  }
  return { runtime, impl, port, url: `ws://127.0.0.1:${port}`, pid: proc.pid, memoryPid, proxyPid, output: proc.output, stop }
}

/** A load client process; `lines` yields its JSON lines. */
export function startClient(client, spec) {
  const file = join(root, 'bench', 'load.mjs')
  const proc =
    client === 'bun'
      ? launch(bin('bun'), [file, JSON.stringify(spec)], { kind: 'bun' })
      : launch(process.execPath, [file, JSON.stringify(spec)], { kind: 'node' })
  const queue = []
  const waiting = []
  let buffer = ''
  proc.child.stdout.setEncoding('utf8')
  proc.child.stdout.on('data', (chunk) => {
    buffer += chunk
    let at
    while ((at = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, at).trim()
      buffer = buffer.slice(at + 1)
      if (!line.startsWith('{')) continue
      let message
      try {
        message = JSON.parse(line)
      } catch {
        continue
      }
      const waiter = waiting.shift()
      if (waiter) waiter.resolve(message)
      else queue.push(message)
    }
  })
  proc.exited.then(() => {
    for (const waiter of waiting.splice(0)) waiter.resolve({ event: 'error', message: `load client exited: ${proc.output().trim().slice(-500)}` })
  })
  return {
    ...proc,
    /** The next JSON line, or an error event after `timeoutMs`. */
    next(timeoutMs) {
      if (queue.length) return Promise.resolve(queue.shift())
      if (proc.child.exitCode !== null) return Promise.resolve({ event: 'error', message: `load client exited: ${proc.output().trim().slice(-500)}` })
      return new Promise((resolve) => {
        const waiter = { resolve }
        waiting.push(waiter)
        setTimeout(() => {
          const at = waiting.indexOf(waiter)
          if (at >= 0) {
            waiting.splice(at, 1)
            resolve({ event: 'error', message: `load client timed out after ${Math.round(timeoutMs / 1000)} s` })
          }
        }, timeoutMs)
      })
    },
    send(line) {
      proc.child.stdin.write(line + '\n')
    },
  }
}
