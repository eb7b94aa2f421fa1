import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RuntimeName } from './capabilities.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = (name: string) => join(root, 'node_modules', '.bin', name)

/** A fixture app running as a real process in one runtime. */
export interface Fixture {
  runtime: RuntimeName
  baseUrl: string
  wsUrl(path: string): string
  process: ChildProcess
  output(): string
  stop(): Promise<void>
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function command(runtime: RuntimeName, port: number): Promise<[string, string[]]> {
  switch (runtime) {
    case 'node':
      // PORTSOCKET_NODE runs the fixture under another Node (22, 24) than the test runner's.
      return [process.env.PORTSOCKET_NODE || process.execPath, ['dist/test/fixture/node.js']]
    case 'bun':
      return [bin('bun'), ['test/fixture/bun.ts']]
    case 'deno':
      return [bin('deno'), ['run', '--allow-net', '--allow-env', '--allow-read', 'test/fixture/deno.ts']]
    case 'workerd':
      return [
        bin('wrangler'),
        [
          'dev',
          '--config', 'test/fixture/wrangler.toml',
          '--ip', '127.0.0.1',
          '--port', String(port),
          '--inspector-port', String(await freePort()),
          '--persist-to', mkdtempSync(join(tmpdir(), 'portsocket-wrangler-')),
          '--show-interactive-dev-session=false',
          '--log-level', 'warn',
        ],
      ]
  }
}

/** Starts the fixture app under `runtime` and resolves once it answers GET /health. */
export async function startFixture(runtime: RuntimeName, options: { env?: Record<string, string> } = {}): Promise<Fixture> {
  const port = await freePort()
  const [file, args] = await command(runtime, port)
  const child = spawn(file, args, {
    cwd: root,
    detached: true, // its own process group, so stop() reaches wrangler's children too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NO_COLOR: '1',
      DENO_NO_UPDATE_CHECK: '1',
      WRANGLER_SEND_METRICS: 'false',
      ...options.env,
    },
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64 * 1024)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  let exited = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())))
  const baseUrl = `http://127.0.0.1:${port}`
  const fixture: Fixture = {
    runtime,
    baseUrl,
    wsUrl: (path) => `ws://127.0.0.1:${port}${path}`,
    process: child,
    output: () => output,
    async stop() {
      if (exited) return
      signal(child, 'SIGTERM')
      const killer = setTimeout(() => signal(child, 'SIGKILL'), 3000)
      await exit
      clearTimeout(killer)
      signal(child, 'SIGKILL') // whatever the group left behind
    },
  }
  const deadline = Date.now() + (runtime === 'workerd' ? 60_000 : 20_000)
  for (;;) {
    if (exited) throw new Error(`the ${runtime} fixture exited before it was ready:\n${output}`)
    try {
      const res = await fetch(`${baseUrl}/health`)
      if (res.ok) return fixture
    } catch {}
    if (Date.now() > deadline) {
      await fixture.stop()
      throw new Error(`the ${runtime} fixture did not answer /health in time:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, name)
  } catch {}
}
