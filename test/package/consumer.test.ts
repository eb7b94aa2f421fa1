/**
 * portsocket as its users get it: `npm pack`, the tarball installed into a fresh project
 * under the OS temp dir next to the oldest `hono` the peer range allows, then the
 * README's own code (test/package/readme.ts extracts it) type-checked there with `strict`
 * and `skipLibCheck: false`, `deno check`ed as a Deno entry, and run on Node with a real
 * WebSocket client talking to it. Run `npm run build` first (`npm test` does).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { readmeCode } from './readme.ts'

const root = resolve(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const deno = join(root, 'node_modules/.bin/deno')

/** `^4.6.7` → `4.6.7`: the oldest hono the peer range admits, exactly. */
/** The version of a dependency that `npm ci` installed here from the lock file. */
function lockedVersion(name: string): string {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
}

function oldestHono(range: string): string {
  const match = /^\^(\d+\.\d+\.\d+)$/.exec(range)
  if (!match) throw new Error(`peerDependencies.hono should be a caret range (^MAJOR.MINOR.PATCH), not ${range}`)
  return match[1]!
}

interface Run {
  code: number | null
  output: string
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      done({ code, output: `${stdout}${stderr}` })
    })
  })
}

async function must(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.output}`)
  return result.output
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

let project: string
let app: ChildProcess | undefined

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/src/index.js'))) throw new Error('no dist/: run `npm run build` first')
  project = await mkdtemp(join(tmpdir(), 'portsocket-consumer-'))
  // prepare has already built dist/ (npm test's pretest), so pack what is there.
  const packed = JSON.parse(await must('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], root))
  const tarball: string = packed[0].filename
  const manifest = {
    name: 'portsocket-consumer',
    private: true,
    type: 'module',
    dependencies: {
      portsocket: `file:./${tarball}`,
      hono: oldestHono(pkg.peerDependencies.hono),
      '@types/node': pkg.devDependencies['@types/node'],
      // inference.ts writes a Standard Schema by hand, as an app without zod would.
      '@standard-schema/spec': pkg.dependencies['@standard-schema/spec'],
      // The Redis clients the README's RedisHub examples bring, as an app would, at the
      // versions this repository's lock file tests with: a client release must not change
      // what this test says about portsocket's declarations (ioredis 6.1.0's own
      // declarations import the untyped redis-errors, an error under skipLibCheck false;
      // README, "Redis").
      ioredis: lockedVersion('ioredis'),
      redis: lockedVersion('redis'),
    },
  }
  await writeFile(join(project, 'package.json'), JSON.stringify(manifest, null, 2))
  await must('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'], project)
  const readme = readmeCode(join(root, 'README.md'))
  for (const [name, text] of readme.files) await writeFile(join(project, name), text)
  await writeFile(join(project, 'tsconfig.json'), readme.tsconfig)
  // Beyond "it compiles": what the types must reject and infer.
  cpSync(join(import.meta.dirname, 'inference.ts'), join(project, 'inference.ts'))
}, 120_000)

afterAll(async () => {
  app?.kill()
  if (project) await rm(project, { recursive: true, force: true })
})

describe('the packed package in a fresh project', () => {
  test('installs with the oldest supported hono as the app\'s own dependency', async () => {
    const hono = JSON.parse(await readFile(join(project, 'node_modules/hono/package.json'), 'utf8'))
    expect(hono.version).toBe(oldestHono(pkg.peerDependencies.hono))
    // One copy of hono: the app's. A second one under portsocket breaks app.get(…, websocket(…)).
    expect(existsSync(join(project, 'node_modules/portsocket/node_modules/hono'))).toBe(false)
  })

  test('the README\'s TypeScript compiles with strict and skipLibCheck: false, and emits', async () => {
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--strict', '--skipLibCheck', 'false'], project)
    expect(result.output).toBe('')
    expect(result.code).toBe(0)
  }, 60_000)

  test('deno check accepts the README\'s Deno entry', async () => {
    const result = await run(deno, ['check', 'deno.ts'], project, { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' })
    expect(result.output).not.toMatch(/error/i)
    expect(result.code).toBe(0)
  }, 60_000)

  test('the README\'s Node entry, built by tsc, serves its route over a real WebSocket', async () => {
    const port = await freePort()
    const child = spawn(process.execPath, [join(project, 'dist/node.js')], {
      cwd: project,
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    app = child
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    await new Promise<void>((ready, fail) => {
      child.stdout.on('data', () => output.includes(`:${port}`) && ready())
      child.once('exit', (code) => fail(new Error(`node dist/node.js exited (${code}):\n${output}`)))
    })

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/lobby?name=ann`)
    const received: string[] = []
    const next = () =>
      new Promise<string>((got, fail) => {
        ws.once('message', (data) => got(String(data)))
        ws.once('close', (code) => fail(new Error(`closed ${code} after ${JSON.stringify(received)}`)))
      })
    const welcome = next()
    await new Promise((open, fail) => ws.once('open', open).once('error', fail))
    received.push(await welcome)
    expect(received[0]).toBe('welcome to lobby, ann')
    const echo = next()
    ws.send('hello')
    expect(await echo).toBe('hello')
    ws.close(1000)
    await new Promise((closed) => ws.once('close', closed))

    // Without the auth middleware's name the route answers 401 before any upgrade.
    const status = await new Promise<number>((done, fail) => {
      const anonymous = new WebSocket(`ws://127.0.0.1:${port}/ws/lobby`)
      anonymous.once('unexpected-response', (_request, response) => done(response.statusCode ?? 0))
      anonymous.once('open', () => fail(new Error('opened without a name')))
      anonymous.once('error', fail)
    })
    expect(status).toBe(401)
  })

  test('ships complete declarations: no .ts specifiers, every source map\'s sources present', async () => {
    const installed = join(project, 'node_modules/portsocket')
    const files = (await readdir(installed, { recursive: true })).map(String)
    const problems: string[] = []
    for (const file of files) {
      if (file.endsWith('.d.ts')) {
        const text = await readFile(join(installed, file), 'utf8')
        for (const [spec] of text.matchAll(/(?:from|import\()\s*['"]\.{1,2}\/[^'"]*\.ts['"]/g)) problems.push(`${file}: ${spec}`)
      }
      if (file.endsWith('.map')) {
        const map = JSON.parse(await readFile(join(installed, file), 'utf8'))
        for (const source of map.sources as string[]) {
          if (!existsSync(join(installed, dirname(file), source))) problems.push(`${file}: missing ${source}`)
        }
      }
    }
    expect(problems).toEqual([])
    expect(files.some((f) => f.endsWith('.map'))).toBe(true)
  })
})
