/**
 * Starting, watching and stopping the benchmark's processes (servers and load clients).
 *
 * Every process is started detached, so it leads a process group of its own and stop()
 * reaches its children too (wrangler's workerd). Every process preloads bench/lifeline.mjs,
 * which ends it (and its group) when this orchestrator goes away, and the orchestrator
 * kills every group it started when it exits, however it exits.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PROTOCOL } from './protocol.mjs'
import { processTree } from './proc.mjs'

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
export function launch(command, args, { kind, env = {}, stdinWatch = true, v8Flags = [] } = {}) {
  hookExit()
  // V8 flags (`v8Flags`) reach Node and Deno only: Bun runs JavaScriptCore, wrangler's workerd its own V8.
  const preload = {
    node: ['--expose-gc', ...v8Flags, '--import', pathToFileURL(lifeline).href],
    bun: ['--preload', lifeline],
    deno: [`--v8-flags=${['--expose-gc', ...v8Flags].join(',')}`, '--preload', lifeline],
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

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return []
  }
}

/**
 * wrangler dev runs two workerd processes: a proxy that listens on the --port we gave,
 * and the one that runs the Worker and its Durable Object. Memory is read from the
 * latter (the former is the same for every row).
 */
export function findWorkerd(wranglerPid, port) {
  const workerds = processTree(wranglerPid)
    .slice(1)
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
export async function startServer(runtime, impl, { viaProxy = false, semiSpace, env: extraEnv = {} } = {}) {
  const port = await freePort()
  const scratch = { dir: mkdtempSync(join(tmpdir(), 'portsocket-bench-')), inspectorPort: await freePort() }
  const { command, args, kind, env } = serverCommand(runtime, impl, port, scratch)
  const v8Flags = semiSpace === undefined ? [] : [`--max-semi-space-size=${semiSpace}`]
  const proc = launch(command, args, { kind, v8Flags, env: { ...env, ...extraEnv, PORT: String(port) } })
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

/**
 * A load client process (bench/load.mjs) speaking lib/protocol.mjs. `on(event, fn)`
 * handles events as they come (fan-out batches); `next(event)` waits for the next one of
 * that kind and throws on an `error` line, on exit, or after `timeoutMs`.
 */
export function startClient(client, spec) {
  const file = join(root, 'bench', 'load.mjs')
  const line = JSON.stringify({ ...spec, protocol: PROTOCOL })
  const proc =
    client === 'bun'
      ? launch(bin('bun'), [file, line], { kind: 'bun' })
      : launch(process.execPath, [file, line], { kind: 'node' })
  const queue = []
  const waiting = []
  const handlers = new Map()
  let failure
  const failAll = (message) => {
    failure ??= message
    for (const w of waiting.splice(0)) w.reject(new Error(failure))
  }
  let buffer = ''
  proc.child.stdout.setEncoding('utf8')
  proc.child.stdout.on('data', (chunk) => {
    buffer += chunk
    let at
    while ((at = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, at).trim()
      buffer = buffer.slice(at + 1)
      if (!text.startsWith('{')) continue
      let message
      try {
        message = JSON.parse(text)
      } catch {
        continue
      }
      if (message.event === 'error') {
        failAll(`load client: ${message.message}`)
        continue
      }
      const handler = handlers.get(message.event)
      if (handler) {
        handler(message)
        continue
      }
      const w = waiting.findIndex((x) => x.event === message.event)
      if (w >= 0) waiting.splice(w, 1)[0].resolve(message)
      else queue.push(message)
    }
  })
  proc.exited.then(({ code }) => {
    if (code !== 0 || waiting.length) failAll(`load client exited (code ${code}): ${proc.output().trim().slice(-500)}`)
  })
  return {
    ...proc,
    on(event, handler) {
      handlers.set(event, handler)
    },
    next(event, timeoutMs = 60_000) {
      const at = queue.findIndex((m) => m.event === event)
      if (at >= 0) return Promise.resolve(queue.splice(at, 1)[0])
      if (failure) return Promise.reject(new Error(failure))
      return new Promise((resolve, reject) => {
        const w = { event, resolve, reject }
        waiting.push(w)
        setTimeout(() => {
          const i = waiting.indexOf(w)
          if (i >= 0) {
            waiting.splice(i, 1)
            reject(new Error(`load client: no "${event}" within ${Math.round(timeoutMs / 1000)} s`))
          }
        }, timeoutMs).unref?.()
      })
    },
    send(command) {
      if (proc.child.stdin.writable) proc.child.stdin.write(command + '\n')
    },
  }
}

/** Whether `impl` has a server on `runtime` (raw-prepared and raw-corked exist on Node only, raw-hono on Node, Bun and Deno). */
export function hasServer(runtime, impl) {
  const file = runtime === 'workerd' ? `bench/servers/workerd/${impl}.toml` : `bench/servers/${runtime}/${impl}.ts`
  return existsSync(join(root, file))
}
