/** The machine and the versions a run used, for the report. */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { bin, root } from './processes.mjs'

export function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  let files = '?'
  try {
    files = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()
  } catch {}
  return {
    cores: os.cpus().length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    cpu: model.trim(),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    openFiles: files,
  }
}

export function versions() {
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
    } catch {
      return '?'
    }
  }
  const run = (file, args) => {
    try {
      return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0]
    } catch {
      return '?'
    }
  }
  return {
    node: process.version,
    bun: run(bin('bun'), ['--version']),
    deno: run(bin('deno'), ['--version']).replace(/^deno /, ''),
    wrangler: pkg('wrangler'),
    workerd: `${pkg('workerd')} (${run(join(root, 'node_modules/workerd/bin/workerd'), ['--version'])})`,
    hono: pkg('hono'),
    '@hono/node-server': pkg('@hono/node-server'),
    ws: pkg('ws'),
    crossws: pkg('crossws'),
  }
}
