/**
 * A short run of the benchmark as a user starts it (`node bench/run.mjs`, what `npm run
 * bench` runs): one runtime, one server, one scenario, a second or two of load. It fails
 * if a file the bench needs is missing or if the runner and the load client stop
 * understanding each other. It checks that the figures are sane, never how fast they are.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
// @ts-ignore: a plain .mjs module without declarations
import { OPTIONS } from '../../bench/lib/options.mjs'
// @ts-ignore: a plain .mjs module without declarations
import { TICK_US } from '../../bench/lib/proc.mjs'

const root = new URL('../..', import.meta.url).pathname
const scratch = mkdtempSync(join(tmpdir(), 'portsocket-bench-smoke-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function bench(args: string[], timeout = 150_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bench/run.mjs', ...args], { cwd: root, timeout }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

describe('npm run bench', () => {
  it('runs chat against portsocket on Node and reports CPU per delivery and throughput', { timeout: 180_000 }, async () => {
    const json = join(scratch, 'run.json')
    const { code, stdout, stderr } = await bench([
      '--runtime', 'node', '--impl', 'portsocket', '--scenario', 'chat',
      '--rounds', '1', '--windows', '2', '--window-ms', '500', '--clients', '4', '--per-batch', '20',
      '--no-write', '--json', json,
    ])
    expect({ code, stderr: stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) })
    const run = JSON.parse(readFileSync(json, 'utf8'))
    const rounds = run.results.node.portsocket.chat
    expect(rounds).toHaveLength(1)
    const [round] = rounds
    expect(round.error).toBeUndefined()
    expect(round.count).toBeGreaterThan(0)
    expect(round.rate).toBeGreaterThan(0)
    expect(Number.isFinite(round.cpuUs)).toBe(true)
    expect(round.cpuUs).toBeGreaterThan(0)
    expect(round.rates).toHaveLength(3) // one warm-up window and two measured
    expect(stdout).toContain('server CPU per delivery')
    expect(run.versions.ws).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('holds idle connections on Node and reports memory and CPU per open, the main thread apart', { timeout: 180_000 }, async () => {
    const json = join(scratch, 'idle.json')
    const { code, stdout, stderr } = await bench(['--runtime', 'node', '--impl', 'portsocket', '--scenario', 'idle', '--idle', '300', '--rounds', '1', '--no-write', '--json', json])
    expect({ code, stderr: stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) })
    const run = JSON.parse(readFileSync(json, 'utf8'))
    const [round] = run.results.node.portsocket.idle
    expect(round.error).toBeUndefined()
    const [step] = round.steps
    expect(step.connections).toBe(300)
    expect(step.openCpuUs).toBeGreaterThan(0)
    // The main thread is one of the server's threads: its share is not more than the whole,
    // give or take the kernel's rounding, which adjusts a thread's and a process's clock
    // ticks apart (two ticks over the step, at most).
    expect(step.openMainUs).toBeGreaterThan(0)
    expect(step.openMainUs).toBeLessThanOrEqual(step.openCpuUs + (2 * TICK_US) / step.opened)
    expect(Number.isFinite(step.bytesPerConn)).toBe(true)
    expect(stdout).toContain('of it on the main thread')
  })

  it('npm run bench:heartbeat holds connections on Node and reports the event-loop stalls', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const args = ['bench/heartbeat.mjs', '--runtime', 'node', '--connections', '200', '--interval', '500', '--intervals', '2']
      execFile(process.execPath, args, { cwd: root, timeout: 90_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
      })
    })
    expect({ code, stderr: stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) })
    // One row: the longest stall, the median second's, how many seconds passed 50 ms of
    // those watched, and no connection dropped (the load client answers the pings).
    expect(stdout).toMatch(/^\| node \| \d+ \| [\d.]+ \| \d+ of [1-9]\d* \| 0 \|$/m)
  })

  it('--help documents every option the runner accepts', async () => {
    const { code, stdout } = await bench(['--help'], 30_000)
    expect(code).toBe(0)
    for (const [name] of OPTIONS as [string][]) expect(stdout).toContain(`--${name}`)
  })

  it('refuses an unknown option instead of running something else', async () => {
    const { code, stderr } = await bench(['--rounds', '1', '--fast'], 30_000)
    expect(code).not.toBe(0)
    expect(stderr).toContain('unknown option --fast')
  })
})
