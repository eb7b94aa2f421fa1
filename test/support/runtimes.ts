import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RuntimeName } from './capabilities.ts'

export type { RuntimeName }

export const runtimeNames: readonly RuntimeName[] = ['node', 'bun', 'deno', 'workerd']

/** The repository root (this file is test/support/runtimes.ts). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name)

const OUTPUT_LIMIT = 64 * 1024
const STOP_GRACE_MS = 3000

export interface StartOptions {
  /** Extra environment for the fixture (on workerd also passed as `--var KEY:VALUE`). */
  env?: Record<string, string>
  /**
   * Directory holding node.js, bun.ts, deno.ts and wrangler.toml. Defaults to
   * $PORTSOCKET_FIXTURE_DIR, else test/fixture (dist/test/fixture for node.js, which tsc
   * builds beforehand). Relative paths are resolved against the repository root.
   */
  fixtureDir?: string
  /** How long to wait for GET /health to answer 200 (default 60 s on workerd, else 20 s). */
  readyTimeoutMs?: number
  /** Listen on this port (e.g. to restart a server where its clients reconnect); default: a free one. */
  port?: number
}

/** A fixture app running as a real process in one runtime. */
export interface Fixture {
  runtime: RuntimeName
  /** http://127.0.0.1:PORT */
  baseUrl: string
  port: number
  wsUrl(path: string): string
  process: ChildProcess
  /** The last 64 KB of the process's stdout and stderr, interleaved. */
  output(): string
  /** Ends the whole process tree (SIGTERM, SIGKILL after 3 s); resolves once it is gone. */
  stop(): Promise<void>
}

/** A port nobody listened on a moment ago (bound to 127.0.0.1:0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

interface Launch {
  file: string
  args: string[]
  env: Record<string, string>
  /** Removed after the process ended. */
  scratch?: string
}

function fixturePath(options: StartOptions, file: string, built = false): string {
  const dir = options.fixtureDir ?? process.env.PORTSOCKET_FIXTURE_DIR
  if (dir) return resolve(repoRoot, dir, file)
  return join(repoRoot, built ? 'dist/test/fixture' : 'test/fixture', file)
}

async function launch(runtime: RuntimeName, port: number, options: StartOptions): Promise<Launch> {
  switch (runtime) {
    case 'node': {
      const entry = fixturePath(options, 'node.js', true)
      if (!existsSync(entry)) throw new Error(`no Node fixture at ${entry}: build it first (npm run build)`)
      // PORTSOCKET_NODE runs the fixture under another Node (22, 24) than the test runner's.
      return { file: process.env.PORTSOCKET_NODE || process.execPath, args: [entry], env: {} }
    }
    case 'bun':
      return { file: bin('bun'), args: [fixturePath(options, 'bun.ts')], env: {} }
    case 'deno':
      return {
        file: bin('deno'),
        args: ['run', '-A', fixturePath(options, 'deno.ts')],
        env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' },
      }
    case 'workerd': {
      // Private persistence per run: Durable Object storage never leaks between runs.
      const scratch = mkdtempSync(join(tmpdir(), 'portsocket-wrangler-'))
      const vars = Object.entries(options.env ?? {}).flatMap(([key, value]) => ['--var', `${key}:${value}`])
      return {
        file: bin('wrangler'),
        args: [
          'dev',
          '--config', fixturePath(options, 'wrangler.toml'),
          '--ip', '127.0.0.1',
          '--port', String(port),
          '--inspector-port', String(await freePort()),
          '--persist-to', scratch,
          '--show-interactive-dev-session=false',
          '--log-level', 'warn',
          ...vars,
        ],
        env: {
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          // Offline: skip the fetch of the Request.cf object (miniflare uses a built-in one).
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          // No file watching: the fixture does not change during a run.
          WRANGLER_CI_DISABLE_CONFIG_WATCHING: 'true',
          WRANGLER_LOG_PATH: join(scratch, 'logs'),
          CI: 'true',
        },
        scratch,
      }
    }
  }
}

/** Process groups of fixtures still running, killed if the test process exits first. */
const live = new Set<number>()
let exitHookInstalled = false
function track(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const group of live) signalGroup(group, 'SIGKILL')
    })
  }
  live.add(pid)
}

/** Starts the fixture app under `runtime` and resolves once GET /health answers 200. */
export async function startFixture(runtime: RuntimeName, options: StartOptions = {}): Promise<Fixture> {
  if (!runtimeNames.includes(runtime)) throw new Error(`unknown runtime "${runtime}" (expected one of ${runtimeNames.join(', ')})`)
  const port = options.port ?? (await freePort())
  const { file, args, env, scratch } = await launch(runtime, port, options)
  const child = spawn(file, args, {
    cwd: repoRoot,
    detached: true, // its own process group, so stop() reaches wrangler's workerd children too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inheritedEnv(),
      NO_COLOR: '1',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...options.env,
    },
  })

  let output = ''
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8')
    if (output.length > 2 * OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const tail = () => output.slice(-OUTPUT_LIMIT)

  let exitStatus: string | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `code ${code}`
      resolve()
    })
    child.once('error', (error) => {
      exitStatus ??= `spawn error: ${error.message}`
      resolve()
    })
  })
  const pid = child.pid
  if (pid !== undefined) track(pid)

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      if (pid !== undefined) {
        signalGroup(pid, 'SIGTERM')
        const killer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS)
        await exited
        // The leader is gone; wait for the rest of its group (wrangler's workerd processes).
        const deadline = Date.now() + STOP_GRACE_MS
        while (groupAlive(pid) && Date.now() < deadline) await sleep(50)
        clearTimeout(killer)
        signalGroup(pid, 'SIGKILL')
        live.delete(pid)
      }
      if (scratch) rmSync(scratch, { recursive: true, force: true })
    })())

  const baseUrl = `http://127.0.0.1:${port}`
  const fixture: Fixture = {
    runtime,
    baseUrl,
    port,
    wsUrl: (path) => `ws://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`,
    process: child,
    output: tail,
    stop,
  }

  const timeoutMs = options.readyTimeoutMs ?? (runtime === 'workerd' ? 60_000 : 20_000)
  const started = Date.now()
  let lastProblem = 'no answer yet'
  for (;;) {
    if (exitStatus !== undefined) {
      await stop()
      throw new Error(`the ${runtime} fixture (${[file, ...args].join(' ')}) exited with ${exitStatus} before it was ready; its output:\n${tail()}`)
    }
    const status = await healthStatus(`${baseUrl}/health`)
    if (status === 200) return fixture
    lastProblem = typeof status === 'number' ? `GET /health answered ${status}` : status
    if (Date.now() - started > timeoutMs) {
      await stop()
      throw new Error(`the ${runtime} fixture did not become ready within ${timeoutMs} ms (${lastProblem}); its output:\n${tail()}`)
    }
    await Promise.race([sleep(100), exited])
  }
}

/** The status of GET `url` on a fresh connection (no keep-alive left behind), or why it failed. */
function healthStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: 2000 }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.once('timeout', () => req.destroy(new Error('GET /health timed out after 2000 ms')))
    req.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    req.end()
  })
}

function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    // The fixture is not a vitest worker.
    if (value !== undefined && !key.startsWith('VITEST')) env[key] = value
  }
  return env
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {}
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
