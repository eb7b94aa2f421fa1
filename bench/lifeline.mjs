// Preloaded into every benchmark server process (node --import, bun --preload,
// deno --preload, and wrangler's Node process through NODE_OPTIONS). When the process
// that started this one goes away (the orchestrator died or was killed), this process
// ends itself and its whole process group (wrangler's workerd children included): it
// polls its parent pid, and, where stdin is a pipe from the orchestrator, also ends as
// soon as that pipe closes. It also runs a full GC on SIGUSR2.
import process from 'node:process'

const parent = process.ppid

function die() {
  try {
    // Started detached, a server leads its own process group: take it all down.
    process.kill(-process.pid, 'SIGKILL')
  } catch {}
  process.exit(1)
}

const timer = setInterval(() => {
  if (process.ppid !== parent) die()
}, 500)
if (typeof timer === 'object' && timer && typeof timer.unref === 'function') timer.unref()

// SIGUSR2 asks for a full garbage collection (run.mjs sends it before reading memory).
// Node and Deno are started with --expose-gc; Bun always has Bun.gc.
try {
  process.on('SIGUSR2', () => {
    if (globalThis.Bun) globalThis.Bun.gc(true)
    else if (typeof globalThis.gc === 'function') {
      globalThis.gc()
      globalThis.gc()
    }
  })
} catch {}

// Deno does not start the main module while a preloaded one has a stdin read pending,
// so there the parent-pid check alone does the job.
if (process.env.BENCH_LIFELINE_STDIN === '1' && !globalThis.Deno) {
  process.env.BENCH_LIFELINE_STDIN = '' // not for children
  process.stdin.on('data', () => {})
  process.stdin.on('end', die)
  process.stdin.on('close', die)
  process.stdin.on('error', die)
}
