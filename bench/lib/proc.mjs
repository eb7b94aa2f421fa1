/**
 * What the benchmark reads from /proc: CPU time (user + system, in clock ticks) of a
 * process tree, the whole machine's busy and total ticks, and resident memory.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Microseconds per clock tick (USER_HZ, almost always 100: 10 ms per tick). */
export const TICK_US = (() => {
  try {
    return 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  } catch {
    return 10_000
  }
})()

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** utime + stime of one process, every thread included; 0 once it is gone. */
export function processTicks(pid) {
  try {
    const f = statFields(pid)
    return Number(f[11]) + Number(f[12]) // fields 14 and 15 of stat(5)
  } catch {
    return 0
  }
}

/**
 * utime + stime of a process's main thread alone (the thread whose id is the pid): where
 * Node, Bun and Deno run JavaScript and their event loop. The other threads are the
 * engine's helpers (JIT compiles, concurrent GC) and the runtime's I/O pools. 0 once gone.
 */
export function mainThreadTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(f[11]) + Number(f[12])
  } catch {
    return 0
  }
}

/** utime + stime summed over `pids`. */
export const ticksOf = (pids) => pids.reduce((sum, pid) => sum + processTicks(pid), 0)

/** `pid` and every descendant of it. */
export function processTree(pid) {
  const children = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const ppid = Number(statFields(entry)[1])
      if (!children.has(ppid)) children.set(ppid, [])
      children.get(ppid).push(Number(entry))
    } catch {}
  }
  const out = [pid]
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []))
  return out
}

/** Busy and total ticks of the whole machine, every core (first line of /proc/stat). */
export function machineTicks() {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0) // guest time is already in user
  const idle = v[3] + (v[4] ?? 0)
  return { busy: total - idle, total }
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rss(pid) {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1]) * 1024
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

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

/** Share of the whole machine that was busy over `ms` (0..1). */
export async function machineBusy(ms = 500) {
  const a = machineTicks()
  await sleep(ms)
  const b = machineTicks()
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0
}
